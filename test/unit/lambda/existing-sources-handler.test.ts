import * as http from 'http';
import type { AddressInfo } from 'net';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  ListUserPoolsCommand,
  UpdateUserPoolCommand,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { AddPermissionCommand, LambdaClient, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import {
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

// The custom resource handler, exactly as it is inlined into templates.

const resource = require('../../../src/lambda/existing-sources-handler.js') as {
  handler(event: Record<string, unknown>, context: Record<string, unknown>): Promise<unknown>;
  parseAliasArn(arn: string): Record<string, string>;
  statementId(kind: string, name: string): string;
  RESPONSE_MARGIN_MS: number;
  NOT_CREATED: string;
};

const s3 = mockClient(S3Client);
const lambda = mockClient(LambdaClient);
const cognito = mockClient(CognitoIdentityProviderClient);

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:svc-dev-api';
const ALIAS = `${FN}:live`;
const OTHER = 'arn:aws:lambda:us-east-1:123456789012:function:svc-dev-worker';
const STATEMENT_ID = /^[a-zA-Z0-9_-]{1,100}$/;
const OWN_ID = /^TrafficShift-[0-9a-f]{8}-[0-9a-f]{8}$/;
const context = { getRemainingTimeInMillis: () => 300000, logStreamName: 'stream-1' };
const error = (name: string, message: string) => Object.assign(new Error(message), { name });

// CloudFormation's side: a local server standing for the presigned ResponseURL.
interface Received {
  method?: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}
let server: http.Server;
let responseUrl: string;
let received: Received[];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method,
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response?signature=abc`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

beforeEach(() => {
  received = [];
  s3.reset();
  lambda.reset();
  cognito.reset();
  lambda.on(AddPermissionCommand).resolves({});
  lambda.on(RemovePermissionCommand).resolves({});
  s3.on(PutBucketNotificationConfigurationCommand).resolves({});
  cognito.on(UpdateUserPoolCommand).resolves({});
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

type RequestType = 'Create' | 'Update' | 'Delete';

function event(
  type: string,
  requestType: RequestType,
  props: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    RequestType: requestType,
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/svc-dev/guid',
    RequestId: 'request-1',
    LogicalResourceId: 'ApiCustomS31TrafficShift',
    ResourceType: type,
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:handler',
      FunctionArn: ALIAS,
      ...props,
    },
    ...extra,
  };
}

/** Invokes the handler and returns the one response CloudFormation received. */
async function invoke(
  e: Record<string, unknown>,
  ctx: Record<string, unknown> = context,
): Promise<Record<string, unknown>> {
  await resource.handler(e, ctx);
  expect(received).toHaveLength(1);
  const [response] = received;
  expect(response?.method).toBe('PUT');
  expect(response?.headers['content-type']).toBe('');
  return response!.body;
}

const answer = (Status: string, Reason: string, PhysicalResourceId: string, Data: Record<string, unknown> = {}) => ({
  Status,
  Reason,
  PhysicalResourceId,
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/svc-dev/guid',
  RequestId: 'request-1',
  LogicalResourceId: 'ApiCustomS31TrafficShift',
  Data,
});

const puts = () => s3.commandCalls(PutBucketNotificationConfigurationCommand).map((c) => c.args[0].input);
const added = () => lambda.commandCalls(AddPermissionCommand).map((c) => c.args[0].input);
const removed = () => lambda.commandCalls(RemovePermissionCommand).map((c) => c.args[0].input);

describe('Custom::TrafficShiftExistingBucket', () => {
  const BUCKET = 'Custom::TrafficShiftExistingBucket';
  const topic = {
    Id: 'to-sns',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
    Events: ['s3:ObjectRemoved:*' as const],
  };
  const queue = {
    Id: 'to-sqs',
    QueueArn: 'arn:aws:sqs:us-east-1:123456789012:q',
    Events: ['s3:ObjectCreated:Put' as const],
  };
  const foreign = { Id: 'svc-dev-worker-0123', LambdaFunctionArn: OTHER, Events: ['s3:ObjectCreated:*' as const] };
  const framework = {
    Id: 'svc-dev-api-5d41402abc4b2a76b9719d911017c592',
    LambdaFunctionArn: FN,
    Events: ['s3:ObjectCreated:*' as const],
    Filter: { Key: { FilterRules: [{ Name: 'prefix' as const, Value: 'uploads/' }] } },
  };
  const configs = [
    { Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'uploads/' }, { Suffix: '.jpg' }] },
    { Event: 's3:ObjectRemoved:*', Rules: [] },
  ];

  it('create: permission on the alias, then one PUT that keeps foreign notifications, drops the framework entry and adds the alias', async () => {
    const order: string[] = [];
    lambda.on(AddPermissionCommand).callsFake(() => order.push('permission') && {});
    s3.on(PutBucketNotificationConfigurationCommand).callsFake(() => order.push('notifications') && {});
    s3.on(GetBucketNotificationConfigurationCommand).resolves({
      TopicConfigurations: [topic],
      QueueConfigurations: [queue],
      LambdaFunctionConfigurations: [foreign, framework],
      EventBridgeConfiguration: {},
    });
    const body = await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
    expect(body).toEqual(
      answer(
        'SUCCESS',
        `bucket uploads notifies ${ALIAS} of 2 event configuration(s)`,
        `traffic-shift:uploads:${ALIAS}`,
      ),
    );
    expect(received[0]?.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify(body))));

    expect(added()).toEqual([
      {
        FunctionName: FN,
        Qualifier: 'live',
        StatementId: expect.stringMatching(STATEMENT_ID),
        Action: 'lambda:InvokeFunction',
        Principal: 's3.amazonaws.com',
        SourceArn: 'arn:aws:s3:::uploads',
        SourceAccount: '123456789012',
      },
    ]);
    expect(s3.commandCalls(GetBucketNotificationConfigurationCommand)[0]?.args[0].input).toEqual({ Bucket: 'uploads' });
    expect(puts()).toEqual([
      {
        Bucket: 'uploads',
        NotificationConfiguration: {
          TopicConfigurations: [topic],
          QueueConfigurations: [queue],
          LambdaFunctionConfigurations: [
            foreign,
            {
              Id: expect.stringMatching(OWN_ID),
              LambdaFunctionArn: ALIAS,
              Events: ['s3:ObjectCreated:*'],
              Filter: {
                Key: {
                  FilterRules: [
                    { Name: 'prefix', Value: 'uploads/' },
                    { Name: 'suffix', Value: '.jpg' },
                  ],
                },
              },
            },
            { Id: expect.stringMatching(OWN_ID), LambdaFunctionArn: ALIAS, Events: ['s3:ObjectRemoved:*'] },
          ],
          EventBridgeConfiguration: {},
        },
      },
    ]);
    // The permission exists before S3 is told to invoke the alias (S3 checks it when the configuration is written).
    expect(order).toEqual(['permission', 'notifications']);
  });

  it('writes the same ids on every run and replaces its own earlier notifications', async () => {
    s3.on(GetBucketNotificationConfigurationCommand).resolves({ LambdaFunctionConfigurations: [foreign] });
    await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
    const first = puts()[0]!.NotificationConfiguration!.LambdaFunctionConfigurations!;

    received = [];
    s3.resetHistory();
    // The bucket as the first run left it, with an extra notification of this alias that the new settings no longer have.
    const stale = {
      Id: `${first[1]!.Id!.slice(0, 22)}ffffffff`,
      LambdaFunctionArn: ALIAS,
      Events: ['s3:ObjectRestore:*' as const],
    };
    s3.on(GetBucketNotificationConfigurationCommand).resolves({ LambdaFunctionConfigurations: [...first, stale] });
    const body = await invoke(
      event(
        BUCKET,
        'Update',
        { BucketName: 'uploads', BucketConfigs: configs },
        {
          PhysicalResourceId: `traffic-shift:uploads:${ALIAS}`,
          OldResourceProperties: { BucketName: 'uploads', FunctionArn: ALIAS, BucketConfigs: configs },
        },
      ),
    );
    expect(body.Status).toBe('SUCCESS');
    expect(puts()[0]?.NotificationConfiguration?.LambdaFunctionConfigurations).toEqual(first);
  });

  it('replaces a permission statement of the same id instead of failing', async () => {
    s3.on(GetBucketNotificationConfigurationCommand).resolves({});
    lambda
      .on(AddPermissionCommand)
      .rejectsOnce(
        error(
          'ResourceConflictException',
          'The statement id (x) provided already exists. Please provide a new statement id, or remove the existing statement.',
        ),
      )
      .resolves({});
    const body = await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
    expect(body.Status).toBe('SUCCESS');
    expect(added()).toHaveLength(2);
    expect(removed()).toEqual([{ FunctionName: FN, Qualifier: 'live', StatementId: added()[0]?.StatementId }]);
  });

  it('waits and retries when the function is being updated', async () => {
    s3.on(GetBucketNotificationConfigurationCommand).resolves({});
    lambda
      .on(AddPermissionCommand)
      .rejectsOnce(
        error(
          'ResourceConflictException',
          'The operation cannot be performed at this time. An update is in progress for resource: x',
        ),
      )
      .resolves({});
    const body = await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
    expect(body.Status).toBe('SUCCESS');
    expect(added()).toHaveLength(2);
    expect(removed()).toEqual([]);
  });

  it('update to another bucket: configures the new one, then removes its notifications and permission from the old one', async () => {
    s3.on(GetBucketNotificationConfigurationCommand, { Bucket: 'new-bucket' }).resolves({
      QueueConfigurations: [queue],
    });
    const ours = {
      Id: 'TrafficShift-00000000-11111111',
      LambdaFunctionArn: ALIAS,
      Events: ['s3:ObjectCreated:*' as const],
    };
    // The Id prefix encodes the alias ARN: learn it from a create on an empty bucket.
    s3.on(GetBucketNotificationConfigurationCommand, { Bucket: 'probe' }).resolves({});
    await resource.handler(event(BUCKET, 'Create', { BucketName: 'probe', BucketConfigs: configs }), context);
    const prefix = puts()[0]!.NotificationConfiguration!.LambdaFunctionConfigurations![0]!.Id!.slice(0, 22);
    s3.resetHistory();
    lambda.resetHistory();
    received = [];
    s3.on(GetBucketNotificationConfigurationCommand, { Bucket: 'old-bucket' }).resolves({
      TopicConfigurations: [topic],
      LambdaFunctionConfigurations: [foreign, { ...ours, Id: `${prefix}11111111` }],
    });

    const body = await invoke(
      event(
        BUCKET,
        'Update',
        { BucketName: 'new-bucket', BucketConfigs: configs },
        {
          PhysicalResourceId: `traffic-shift:old-bucket:${ALIAS}`,
          OldResourceProperties: { FunctionArn: ALIAS, BucketName: 'old-bucket', BucketConfigs: configs },
        },
      ),
    );
    expect(body).toEqual(
      answer(
        'SUCCESS',
        `bucket new-bucket notifies ${ALIAS} of 2 event configuration(s)`,
        `traffic-shift:new-bucket:${ALIAS}`,
      ),
    );
    expect(puts().map((p) => p.Bucket)).toEqual(['new-bucket', 'old-bucket']);
    expect(puts()[0]?.NotificationConfiguration?.QueueConfigurations).toEqual([queue]);
    expect(puts()[0]?.NotificationConfiguration?.LambdaFunctionConfigurations?.map((c) => c.LambdaFunctionArn)).toEqual(
      [ALIAS, ALIAS],
    );
    expect(puts()[1]?.NotificationConfiguration).toEqual({
      TopicConfigurations: [topic],
      LambdaFunctionConfigurations: [foreign],
    });
    expect(added().map((a) => a.SourceArn)).toEqual(['arn:aws:s3:::new-bucket']);
    expect(removed()).toEqual([
      { FunctionName: FN, Qualifier: 'live', StatementId: resource.statementId('s3', 'old-bucket') },
    ]);
    expect(resource.statementId('s3', 'old-bucket')).not.toBe(added()[0]?.StatementId);
  });

  it('update to another bucket: a failed clean-up of the old one is reported, not fatal (the Delete of the old resource retries it)', async () => {
    s3.on(GetBucketNotificationConfigurationCommand).resolves({});
    s3.on(GetBucketNotificationConfigurationCommand, { Bucket: 'old-bucket' }).rejects(
      error('AccessDenied', 'Access Denied'),
    );
    const body = await invoke(
      event(
        BUCKET,
        'Update',
        { BucketName: 'new-bucket', BucketConfigs: configs },
        { PhysicalResourceId: 'old', OldResourceProperties: { FunctionArn: ALIAS, BucketName: 'old-bucket' } },
      ),
    );
    expect(body).toEqual(
      answer(
        'SUCCESS',
        `bucket new-bucket notifies ${ALIAS} of 2 event configuration(s); could not clean up bucket old-bucket while reading the notification configuration of bucket old-bucket: AccessDenied: Access Denied`,
        `traffic-shift:new-bucket:${ALIAS}`,
      ),
    );
    expect(puts().map((p) => p.Bucket)).toEqual(['new-bucket']);
  });

  it('update to another alias on the same bucket: the old alias notifications go in the same PUT, its permission after', async () => {
    const OLD = `${FN}:previous`;
    s3.on(GetBucketNotificationConfigurationCommand).resolves({});
    await resource.handler(
      event(BUCKET, 'Create', { BucketName: 'uploads', FunctionArn: OLD, BucketConfigs: configs }),
      context,
    );
    const oldEntries = puts()[0]!.NotificationConfiguration!.LambdaFunctionConfigurations!;
    s3.reset();
    lambda.resetHistory();
    received = [];
    s3.on(GetBucketNotificationConfigurationCommand).resolves({
      LambdaFunctionConfigurations: [foreign, ...oldEntries],
    });
    const body = await invoke(
      event(
        BUCKET,
        'Update',
        { BucketName: 'uploads', BucketConfigs: configs },
        { OldResourceProperties: { BucketName: 'uploads', FunctionArn: OLD, BucketConfigs: configs } },
      ),
    );
    expect(body.Status).toBe('SUCCESS');
    expect(puts()).toHaveLength(1);
    const written = puts()[0]?.NotificationConfiguration?.LambdaFunctionConfigurations;
    expect(written?.map((c) => c.LambdaFunctionArn)).toEqual([OTHER, ALIAS, ALIAS]);
    expect(removed()).toEqual([
      { FunctionName: FN, Qualifier: 'previous', StatementId: resource.statementId('s3', 'uploads') },
    ]);
  });

  it('delete: removes only its own notifications (not the framework entry, which its resource may have written again), then the permission', async () => {
    s3.on(GetBucketNotificationConfigurationCommand).resolves({});
    await resource.handler(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }), context);
    const ours = puts()[0]!.NotificationConfiguration!.LambdaFunctionConfigurations!;
    s3.reset();
    lambda.resetHistory();
    received = [];
    s3.on(GetBucketNotificationConfigurationCommand).resolves({
      TopicConfigurations: [topic],
      LambdaFunctionConfigurations: [foreign, ...ours, framework],
      EventBridgeConfiguration: {},
    });
    const body = await invoke(
      event(
        BUCKET,
        'Delete',
        { BucketName: 'uploads', BucketConfigs: configs },
        { PhysicalResourceId: `traffic-shift:uploads:${ALIAS}` },
      ),
    );
    expect(body).toEqual(
      answer('SUCCESS', `removed the notifications to ${ALIAS} from bucket uploads`, `traffic-shift:uploads:${ALIAS}`),
    );
    expect(puts()).toEqual([
      {
        Bucket: 'uploads',
        NotificationConfiguration: {
          TopicConfigurations: [topic],
          LambdaFunctionConfigurations: [foreign, framework],
          EventBridgeConfiguration: {},
        },
      },
    ]);
    expect(removed()).toEqual([
      { FunctionName: FN, Qualifier: 'live', StatementId: resource.statementId('s3', 'uploads') },
    ]);
  });

  it('delete: writes nothing when nothing is left, and succeeds on a bucket or permission that is gone', async () => {
    s3.on(GetBucketNotificationConfigurationCommand).resolves({ LambdaFunctionConfigurations: [foreign] });
    lambda
      .on(RemovePermissionCommand)
      .rejects(error('ResourceNotFoundException', 'No policy is associated with the given resource.'));
    const props = { BucketName: 'uploads', BucketConfigs: configs };
    expect((await invoke(event(BUCKET, 'Delete', props, { PhysicalResourceId: 'p' }))).Status).toBe('SUCCESS');
    expect(puts()).toEqual([]);

    received = [];
    s3.on(GetBucketNotificationConfigurationCommand).rejects(
      error('NoSuchBucket', 'The specified bucket does not exist'),
    );
    expect(await invoke(event(BUCKET, 'Delete', props, { PhysicalResourceId: 'p' }))).toEqual(
      answer('SUCCESS', 'bucket uploads no longer exists', 'p'),
    );
  });

  it('a failed create answers FAILED with the step and the error; the Delete that follows succeeds and touches nothing', async () => {
    s3.on(GetBucketNotificationConfigurationCommand).resolves({ LambdaFunctionConfigurations: [framework] });
    s3.on(PutBucketNotificationConfigurationCommand).rejects(error('AccessDenied', 'Access Denied'));
    const failed = await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
    expect(failed).toEqual(
      answer(
        'FAILED',
        'Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingBucket) failed while writing the notification configuration of bucket uploads: AccessDenied: Access Denied',
        resource.NOT_CREATED,
      ),
    );

    s3.reset();
    lambda.reset();
    received = [];
    const body = await invoke(
      event(
        BUCKET,
        'Delete',
        { BucketName: 'uploads', BucketConfigs: configs },
        { PhysicalResourceId: failed.PhysicalResourceId },
      ),
    );
    expect(body).toEqual(answer('SUCCESS', 'nothing to delete: the resource was never created', resource.NOT_CREATED));
    expect(s3.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
  });

  it('a failed update keeps the old PhysicalResourceId, so CloudFormation rolls back to it', async () => {
    s3.on(GetBucketNotificationConfigurationCommand).rejects(
      error('NoSuchBucket', 'The specified bucket does not exist'),
    );
    const body = await invoke(
      event(
        BUCKET,
        'Update',
        { BucketName: 'typo', BucketConfigs: configs },
        {
          PhysicalResourceId: `traffic-shift:uploads:${ALIAS}`,
          OldResourceProperties: { BucketName: 'uploads', FunctionArn: ALIAS },
        },
      ),
    );
    expect(body).toEqual(
      answer(
        'FAILED',
        'Update of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingBucket) failed while reading the notification configuration of bucket typo: NoSuchBucket: The specified bucket does not exist',
        `traffic-shift:uploads:${ALIAS}`,
      ),
    );
  });

  it('refuses a FunctionArn that is not an alias', async () => {
    const body = await invoke(
      event(BUCKET, 'Create', { BucketName: 'uploads', FunctionArn: FN, BucketConfigs: configs }),
    );
    expect(body.Reason).toBe(
      `Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingBucket) failed: FunctionArn "${FN}" is not the ARN of a Lambda alias`,
    );
    expect(lambda.calls()).toHaveLength(0);
  });
});

describe('Custom::TrafficShiftExistingUserPool', () => {
  const POOL = 'Custom::TrafficShiftExistingUserPool';
  const POOL_ARN = 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc';
  const KEY = 'arn:aws:kms:us-east-1:123456789012:key/k-1';

  /** What DescribeUserPool returns: updatable settings and read-only fields. */
  const described = (LambdaConfig: UserPoolType['LambdaConfig']): UserPoolType => ({
    Id: 'us-east-1_abc',
    Name: 'users',
    Arn: POOL_ARN,
    Status: 'Enabled',
    CreationDate: new Date(0),
    LastModifiedDate: new Date(0),
    SchemaAttributes: [{ Name: 'email', AttributeDataType: 'String', Required: true }],
    UsernameAttributes: ['email'],
    UsernameConfiguration: { CaseSensitive: false },
    EstimatedNumberOfUsers: 12,
    Domain: 'users-domain',
    EmailConfigurationFailure: 'none',
    Policies: { PasswordPolicy: { MinimumLength: 12, RequireSymbols: true } },
    DeletionProtection: 'ACTIVE',
    AutoVerifiedAttributes: ['email'],
    MfaConfiguration: 'OPTIONAL',
    EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT' },
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 3 },
    UserPoolTags: { team: 'a' },
    AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    UserPoolTier: 'ESSENTIALS',
    LambdaConfig,
  });

  function pools(pool: UserPoolType) {
    cognito
      .on(ListUserPoolsCommand)
      .resolvesOnce({ UserPools: [{ Id: 'us-east-1_other', Name: 'admins' }], NextToken: 'page-2' })
      .resolves({ UserPools: [{ Id: 'us-east-1_abc', Name: 'users' }] });
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: pool });
  }
  const updates = () => cognito.commandCalls(UpdateUserPoolCommand).map((c) => c.args[0].input);

  it('create: finds the pool across pages, grants the alias, and updates the triggers keeping every setting and foreign trigger', async () => {
    pools(described({ PreSignUp: OTHER, PostConfirmation: FN, CustomMessage: OTHER }));
    const body = await invoke(
      event(POOL, 'Create', {
        UserPoolName: 'users',
        UserPoolConfigs: [{ Trigger: 'PostConfirmation' }, { Trigger: 'PreAuthentication' }],
      }),
    );
    expect(body).toEqual(
      answer(
        'SUCCESS',
        `user pool users (us-east-1_abc) invokes ${ALIAS} for PostConfirmation, PreAuthentication`,
        `traffic-shift:users:${ALIAS}`,
        {
          UserPoolId: 'us-east-1_abc',
        },
      ),
    );
    expect(cognito.commandCalls(ListUserPoolsCommand).map((c) => c.args[0].input)).toEqual([
      { MaxResults: 60 },
      { MaxResults: 60, NextToken: 'page-2' },
    ]);
    expect(added()).toEqual([
      {
        FunctionName: FN,
        Qualifier: 'live',
        StatementId: expect.stringMatching(STATEMENT_ID),
        Action: 'lambda:InvokeFunction',
        Principal: 'cognito-idp.amazonaws.com',
        SourceArn: POOL_ARN,
      },
    ]);
    expect(updates()).toEqual([
      {
        UserPoolId: 'us-east-1_abc',
        PoolName: 'users',
        Policies: { PasswordPolicy: { MinimumLength: 12, RequireSymbols: true, TemporaryPasswordValidityDays: 3 } },
        DeletionProtection: 'ACTIVE',
        AutoVerifiedAttributes: ['email'],
        MfaConfiguration: 'OPTIONAL',
        EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT' },
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UserPoolTags: { team: 'a' },
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
        UserPoolTier: 'ESSENTIALS',
        LambdaConfig: { PreSignUp: OTHER, CustomMessage: OTHER, PostConfirmation: ALIAS, PreAuthentication: ALIAS },
      },
    ]);
  });

  it('keeps a temporary password validity the password policy already has', async () => {
    const pool = described({});
    pool.Policies!.PasswordPolicy!.TemporaryPasswordValidityDays = 5;
    pools(pool);
    await invoke(event(POOL, 'Create', { UserPoolName: 'users', UserPoolConfigs: [{ Trigger: 'PreSignUp' }] }));
    expect(updates()[0]?.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays).toBe(5);
    expect(updates()[0]?.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
  });

  it('sender triggers: { LambdaArn, LambdaVersion } and the KMS key; the framework entry of the function is replaced', async () => {
    pools(
      described({
        CustomEmailSender: { LambdaArn: FN, LambdaVersion: 'V1_0' },
        KMSKeyID: KEY,
        PreTokenGeneration: FN,
        PreTokenGenerationConfig: { LambdaArn: FN, LambdaVersion: 'V1_0' },
      }),
    );
    await invoke(
      event(POOL, 'Create', {
        UserPoolName: 'users',
        UserPoolConfigs: [{ Trigger: 'CustomSMSSender', LambdaVersion: 'V1_0', KMSKeyID: KEY }],
      }),
    );
    expect(updates()[0]?.LambdaConfig).toEqual({
      CustomSMSSender: { LambdaArn: ALIAS, LambdaVersion: 'V1_0' },
      KMSKeyID: KEY,
    });
  });

  it('delete: drops the alias triggers only, and the KMS key with the last sender trigger', async () => {
    pools(
      described({
        PreSignUp: OTHER,
        PostConfirmation: ALIAS,
        PostAuthentication: FN,
        CustomSMSSender: { LambdaArn: ALIAS, LambdaVersion: 'V1_0' },
        KMSKeyID: KEY,
      }),
    );
    const body = await invoke(
      event(
        POOL,
        'Delete',
        { UserPoolName: 'users', UserPoolConfigs: [] },
        { PhysicalResourceId: `traffic-shift:users:${ALIAS}` },
      ),
    );
    expect(body).toEqual(
      answer('SUCCESS', `removed the triggers of ${ALIAS} from user pool users`, `traffic-shift:users:${ALIAS}`),
    );
    expect(updates()[0]?.LambdaConfig).toEqual({ PreSignUp: OTHER, PostAuthentication: FN });
    expect(removed()).toEqual([
      {
        FunctionName: FN,
        Qualifier: 'live',
        StatementId: added()[0]?.StatementId ?? resource.statementId('cognito', 'users'),
      },
    ]);

    cognito.reset();
    received = [];
    pools(
      described({
        CustomSMSSender: { LambdaArn: ALIAS, LambdaVersion: 'V1_0' },
        CustomEmailSender: { LambdaArn: OTHER, LambdaVersion: 'V1_0' },
        KMSKeyID: KEY,
      }),
    );
    await invoke(event(POOL, 'Delete', { UserPoolName: 'users' }, { PhysicalResourceId: 'p' }));
    expect(updates()[0]?.LambdaConfig).toEqual({
      CustomEmailSender: { LambdaArn: OTHER, LambdaVersion: 'V1_0' },
      KMSKeyID: KEY,
    });
  });

  it('delete: no update when the pool has no trigger of the alias', async () => {
    pools(described({ PreSignUp: OTHER }));
    expect((await invoke(event(POOL, 'Delete', { UserPoolName: 'users' }, { PhysicalResourceId: 'p' }))).Status).toBe(
      'SUCCESS',
    );
    expect(updates()).toEqual([]);
  });

  it('update to another pool: the old pool loses the alias triggers and the permission', async () => {
    cognito.on(ListUserPoolsCommand).resolves({
      UserPools: [
        { Id: 'us-east-1_abc', Name: 'users' },
        { Id: 'us-east-1_old', Name: 'old-users' },
      ],
    });
    cognito.on(DescribeUserPoolCommand, { UserPoolId: 'us-east-1_abc' }).resolves({ UserPool: described({}) });
    cognito.on(DescribeUserPoolCommand, { UserPoolId: 'us-east-1_old' }).resolves({
      UserPool: { ...described({ PreSignUp: ALIAS, CustomMessage: OTHER }), Id: 'us-east-1_old', Name: 'old-users' },
    });
    const body = await invoke(
      event(
        POOL,
        'Update',
        { UserPoolName: 'users', UserPoolConfigs: [{ Trigger: 'PreSignUp' }] },
        {
          PhysicalResourceId: `traffic-shift:old-users:${ALIAS}`,
          OldResourceProperties: {
            UserPoolName: 'old-users',
            FunctionArn: ALIAS,
            UserPoolConfigs: [{ Trigger: 'PreSignUp' }],
          },
        },
      ),
    );
    expect(body.PhysicalResourceId).toBe(`traffic-shift:users:${ALIAS}`);
    expect(updates().map((u) => [u.UserPoolId, u.LambdaConfig])).toEqual([
      ['us-east-1_abc', { PreSignUp: ALIAS }],
      ['us-east-1_old', { CustomMessage: OTHER }],
    ]);
    expect(removed()).toEqual([
      { FunctionName: FN, Qualifier: 'live', StatementId: resource.statementId('cognito', 'old-users') },
    ]);
  });

  it('a pool that does not exist: FAILED naming it on create, success on delete', async () => {
    cognito.on(ListUserPoolsCommand).resolves({ UserPools: [] });
    const body = await invoke(
      event(POOL, 'Create', { UserPoolName: 'nobody', UserPoolConfigs: [{ Trigger: 'PreSignUp' }] }),
    );
    expect(body).toEqual(
      answer(
        'FAILED',
        'Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingUserPool) failed: there is no user pool named "nobody" in us-east-1',
        resource.NOT_CREATED,
      ),
    );
    expect(added()).toEqual([]);
    received = [];
    expect(await invoke(event(POOL, 'Delete', { UserPoolName: 'nobody' }, { PhysicalResourceId: 'p' }))).toEqual(
      answer('SUCCESS', 'user pool nobody no longer exists', 'p'),
    );
  });

  it('an SDK error: FAILED with the step, the pool and the error', async () => {
    pools(described({}));
    cognito
      .on(UpdateUserPoolCommand)
      .rejects(
        error(
          'InvalidParameterException',
          'Please use TemporaryPasswordValidityDays instead of UnusedAccountValidityDays',
        ),
      );
    const body = await invoke(
      event(POOL, 'Create', { UserPoolName: 'users', UserPoolConfigs: [{ Trigger: 'PreSignUp' }] }),
    );
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toBe(
      'Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingUserPool) failed while updating the triggers of user pool users (us-east-1_abc): ' +
        'InvalidParameterException: Please use TemporaryPasswordValidityDays instead of UnusedAccountValidityDays',
    );
  });
});

describe('any resource', () => {
  it('an unknown resource type: FAILED, saying what the handler serves', async () => {
    const body = await invoke(event('Custom::Other', 'Create', {}));
    expect(body.Reason).toBe(
      'Create of ApiCustomS31TrafficShift (Custom::Other) failed: unknown resource type Custom::Other; this handler serves Custom::TrafficShiftExistingBucket and Custom::TrafficShiftExistingUserPool',
    );
  });

  it('answers FAILED before the Lambda would be killed when the work hangs', async () => {
    s3.on(GetBucketNotificationConfigurationCommand).callsFake(() => new Promise(() => undefined));
    // Only the timers are faked: the response still travels over a real socket, given real time to arrive.
    const realSetTimeout = global.setTimeout;
    const realTime = (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms));
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance', 'Date'] });
    let settled = false;
    const answered = invoke(
      event('Custom::TrafficShiftExistingBucket', 'Create', { BucketName: 'uploads', BucketConfigs: [] }),
      { ...context, getRemainingTimeInMillis: () => resource.RESPONSE_MARGIN_MS + 200 },
    ).finally(() => {
      settled = true;
    });
    try {
      await jest.advanceTimersByTimeAsync(199);
      await realTime(100);
      expect(received).toEqual([]);
      expect(settled).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
    } finally {
      jest.useRealTimers();
    }
    const body = await answered;
    expect(body).toEqual(
      answer(
        'FAILED',
        "Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingBucket) failed: did not finish 10s before the handler's timeout (log stream stream-1)",
        resource.NOT_CREATED,
      ),
    );
  });

  it('tries three times to answer CloudFormation, then throws so the failure shows in the logs', async () => {
    // Port 1 refuses connections; the retries wait 1s and 2s.
    const answering = resource.handler(
      { ...event('Custom::Other', 'Delete', {}), ResponseURL: 'http://127.0.0.1:1/x' },
      context,
    );
    await expect(answering).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 10000);
});

describe('helpers', () => {
  it('parses an alias ARN in any partition', () => {
    expect(resource.parseAliasArn('arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:live')).toEqual({
      aliasArn: 'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:live',
      functionArn: 'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f',
      functionName: 'f',
      alias: 'live',
      partition: 'aws-us-gov',
      region: 'us-gov-west-1',
      account: '123456789012',
    });
  });

  it('builds statement ids Lambda accepts, distinct for names that sanitise alike', () => {
    const long = resource.statementId('cognito', `${'My Pool+='.repeat(14)}@x`);
    expect(long).toMatch(STATEMENT_ID);
    expect(long).toHaveLength(100);
    expect(resource.statementId('s3', 'my.bucket')).toMatch(/^TrafficShift-s3-my_bucket-[0-9a-f]{8}$/);
    expect(resource.statementId('cognito', 'a b')).not.toBe(resource.statementId('cognito', 'a_b'));
  });
});
