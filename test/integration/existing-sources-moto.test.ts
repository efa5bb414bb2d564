/**
 * The existing-bucket and existing-user-pool custom resource handler as shipped (dist/lambda/, built from
 * src/lambda/existing-sources-handler.js by npm run build), run against moto_server: Create, Update and Delete requests as CloudFormation sends them, a local HTTP server
 * standing for the presigned ResponseURL, and the bucket notifications, user pool settings and alias policies read
 * back. Where moto does not behave as AWS documents (per-alias policies and duplicate statement ids, S3's refusal of
 * overlapping configurations and of Lambda destinations it may not invoke, the EventBridge setting, the pool settings
 * moto does not keep), a proxy in front of it answers as AWS does: see moto-as-aws.ts. moto_server is started on
 * 127.0.0.1 with a free port and stopped at the end; without it on PATH the suite is skipped, and says so.
 *
 * The handler creates its SDK clients with no options, as in Lambda: AWS_ENDPOINT_URL (the proxy), the credentials and
 * the region come from the environment, set here for the suite and restored after it.
 *
 * Two writers of one bucket or pool run at once where the tests say so: the proxy holds their writes until both have
 * read, then lets them through one after the other, in both orders. The template orders the writers of one stack (see
 * existing-sources.test.ts); these cases are the handler's own second line, for writers no template orders.
 */
import type { AddressInfo } from 'net';
import * as http from 'http';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  UpdateUserPoolCommand,
  type CreateUserPoolCommandInput,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { AddPermissionCommand, CreateAliasCommand, LambdaClient, PublishVersionCommand } from '@aws-sdk/client-lambda';
import {
  CreateBucketCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describeWithMoto, MOTO_CREDENTIALS, startMoto, type MotoServer } from './moto-server';
import { startMotoAsAws, type MotoAsAws } from './moto-as-aws';

const resource = require('../../dist/lambda/existing-sources-handler.js') as {
  handler(event: Record<string, unknown>, context: Record<string, unknown>): Promise<unknown>;
  statementId(kind: string, name: string): string;
};

const CREDENTIALS = MOTO_CREDENTIALS;
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const arn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:svc-dev-${name}`;
const FN = arn('api');
const ALIAS = `${FN}:live`;
const JOBS = `${arn('jobs')}:live`;
const WORKER = arn('worker');
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:svc-dev-uploads`;

const describeMoto = describeWithMoto('test/integration/existing-sources-moto.test.ts');

/** Functions svc-dev-api and svc-dev-jobs (version 1, alias live each), svc-dev-worker, and an SQS queue. */
async function seed(config: { endpoint: string; region: string; credentials: typeof CREDENTIALS }): Promise<void> {
  const fn = (name: string) => ({
    Type: 'AWS::Lambda::Function',
    Properties: {
      FunctionName: `svc-dev-${name}`,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
      Code: { ZipFile: 'exports.handler = async () => ({});' },
    },
  });
  await new CloudFormationClient(config).send(
    new CreateStackCommand({
      StackName: 'svc-dev',
      TemplateBody: JSON.stringify({
        Resources: {
          Role: {
            Type: 'AWS::IAM::Role',
            Properties: {
              AssumeRolePolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
                ],
              },
            },
          },
          Api: fn('api'),
          Jobs: fn('jobs'),
          Worker: fn('worker'),
          Uploads: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'svc-dev-uploads' } },
        },
      }),
    }),
  );
  const lambda = new LambdaClient(config);
  for (const name of ['svc-dev-api', 'svc-dev-jobs']) {
    const { Version } = await lambda.send(new PublishVersionCommand({ FunctionName: name }));
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: Version }));
  }
}

describeMoto('existing-source custom resources against moto_server, with the AWS behaviour moto lacks', () => {
  let moto: MotoServer;
  let aws: MotoAsAws;
  let s3: S3Client;
  let lambda: LambdaClient;
  let cognito: CognitoIdentityProviderClient;
  let server: http.Server;
  let responseUrl: string;
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    moto = await startMoto();
    await seed({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
    aws = await startMotoAsAws(moto, { region: REGION, credentials: CREDENTIALS });
    const config = { endpoint: aws.endpoint, region: REGION, credentials: CREDENTIALS };
    s3 = new S3Client({ ...config, forcePathStyle: true });
    lambda = new LambdaClient(config);
    cognito = new CognitoIdentityProviderClient(config);

    const env = {
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: REGION,
    };
    for (const [key, value] of Object.entries(env)) {
      savedEnv[key] = process.env[key];
      process.env[key] = value;
    }

    server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => response.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  }, 60000);

  afterAll(async () => {
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (server) await new Promise((resolve) => server.close(resolve));
    await aws?.stop();
    await moto?.stop();
  });

  /** Sends one request through the handler and returns what it answered CloudFormation. */
  async function request(
    ResourceType: string,
    RequestType: string,
    props: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    return (await resource.handler(
      {
        RequestType,
        ResponseURL: responseUrl,
        StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/svc-dev/guid`,
        RequestId: `request-${RequestType}`,
        LogicalResourceId: 'ApiCustomTrafficShift',
        ResourceType,
        ResourceProperties: { ServiceToken: 'token', FunctionArn: ALIAS, ...props },
        ...extra,
      },
      { getRemainingTimeInMillis: () => 300000, logStreamName: 'stream' },
    )) as Record<string, unknown>;
  }

  /**
   * Both writers read before either wrote, so the second write undid the first: the writer that lost its change found
   * it gone when it read back, and wrote it again. Three writes reached the service since `seen`.
   */
  function expectOneRewrite(seen: number, key: string): void {
    expect(aws.operations.slice(seen).filter((o) => o === `write ${key}`)).toHaveLength(3);
  }

  /** Grants S3 invoke on a function from a bucket, as the framework's handler (or its owner) did. */
  async function s3Grant(functionName: string, bucket: string, sid: string): Promise<void> {
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: functionName,
        StatementId: sid,
        Action: 'lambda:InvokeFunction',
        Principal: 's3.amazonaws.com',
        SourceArn: `arn:aws:s3:::${bucket}`,
        SourceAccount: ACCOUNT,
      }),
    );
  }

  describe('Custom::TrafficShiftExistingBucket', () => {
    const TYPE = 'Custom::TrafficShiftExistingBucket';
    const queue = { Id: 'to-queue', QueueArn: QUEUE, Events: ['s3:ObjectRestore:*' as const] };
    const worker = {
      Id: 'svc-dev-worker-abc',
      LambdaFunctionArn: WORKER,
      Events: ['s3:ObjectCreated:*' as const],
      Filter: {
        Key: {
          FilterRules: [
            { Name: 'prefix' as const, Value: 'reports/' },
            { Name: 'suffix' as const, Value: '.csv' },
          ],
        },
      },
    };
    // What the framework's Custom::S3 wrote for svc-dev-api before the plugin took over.
    const framework = {
      Id: 'svc-dev-api-0cc175b9c0f1b6a831c399e269772661',
      LambdaFunctionArn: FN,
      Events: ['s3:ObjectCreated:*' as const],
      Filter: { Key: { FilterRules: [{ Name: 'prefix' as const, Value: 'uploads/' }] } },
    };
    const configs = [
      { Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'uploads/' }, { Suffix: '.jpg' }] },
      { Event: 's3:ObjectRemoved:*', Rules: [] },
    ];

    const notifications = async (Bucket: string) => {
      const { $metadata, ...rest } = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket }));
      void $metadata;
      return rest;
    };
    const lambdaTargets = async (Bucket: string) =>
      ((await notifications(Bucket)).LambdaFunctionConfigurations ?? []).map((c) => ({
        arn: c.LambdaFunctionArn,
        events: c.Events,
        rules: c.Filter?.Key?.FilterRules,
        own: /^TrafficShift-/.test(c.Id ?? ''),
      }));
    /** What no writer of these tests may change: the queue, the EventBridge setting and the worker's entry. */
    const expectOthersKept = async (Bucket: string) => {
      const current = await notifications(Bucket);
      expect(current.QueueConfigurations).toEqual([
        expect.objectContaining({ Id: 'to-queue', QueueArn: QUEUE, Events: ['s3:ObjectRestore:*'] }),
      ]);
      expect(current.EventBridgeConfiguration).toEqual({});
      expect(current.LambdaFunctionConfigurations?.filter((c) => c.LambdaFunctionArn === WORKER)).toEqual([
        expect.objectContaining({ Id: worker.Id, Events: worker.Events }),
      ]);
    };

    beforeAll(async () => {
      for (const Bucket of ['svc-dev-uploads', 'svc-dev-archive', 'svc-dev-shared'])
        await s3.send(new CreateBucketCommand({ Bucket }));
      await s3Grant('svc-dev-worker', 'svc-dev-uploads', 'svc-dev-worker-svc-dev-uploads');
      await s3Grant('svc-dev-worker', 'svc-dev-shared', 'svc-dev-worker-svc-dev-shared');
      await s3Grant('svc-dev-api', 'svc-dev-uploads', 'svc-dev-api-svc-dev-uploads');
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: 'svc-dev-uploads',
          NotificationConfiguration: {
            QueueConfigurations: [queue],
            LambdaFunctionConfigurations: [worker, framework],
            EventBridgeConfiguration: {},
          },
        }),
      );
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: 'svc-dev-shared',
          NotificationConfiguration: {
            QueueConfigurations: [queue],
            LambdaFunctionConfigurations: [worker],
            EventBridgeConfiguration: {},
          },
        }),
      );
    });

    it('the proxy behaves as S3 does: overlapping configurations and destinations S3 may not invoke are refused', async () => {
      const overlapping = { ...worker, Id: 'copy', Filter: undefined };
      await expect(
        s3.send(
          new PutBucketNotificationConfigurationCommand({
            Bucket: 'svc-dev-shared',
            NotificationConfiguration: { LambdaFunctionConfigurations: [worker, overlapping] },
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidArgument', message: expect.stringMatching(/^Configurations overlap/) });
      await expect(
        s3.send(
          new PutBucketNotificationConfigurationCommand({
            Bucket: 'svc-dev-shared',
            NotificationConfiguration: { LambdaFunctionConfigurations: [{ ...framework, LambdaFunctionArn: JOBS }] },
          }),
        ),
      ).rejects.toMatchObject({ message: `Unable to validate the following destination configurations: ${JOBS}` });
      await expectOthersKept('svc-dev-shared');
    });

    it('create: the alias replaces the framework entry in one write, the queue, EventBridge and the other function stay, the alias is granted', async () => {
      const response = await request(TYPE, 'Create', { BucketName: 'svc-dev-uploads', BucketConfigs: configs });
      expect(response).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: `traffic-shift:svc-dev-uploads:${ALIAS}`,
      });
      await expectOthersKept('svc-dev-uploads');
      expect(await lambdaTargets('svc-dev-uploads')).toEqual([
        { arn: WORKER, events: ['s3:ObjectCreated:*'], rules: worker.Filter.Key.FilterRules, own: false },
        {
          arn: ALIAS,
          events: ['s3:ObjectCreated:*'],
          rules: [
            { Name: 'prefix', Value: 'uploads/' },
            { Name: 'suffix', Value: '.jpg' },
          ],
          own: true,
        },
        { arn: ALIAS, events: ['s3:ObjectRemoved:*'], rules: undefined, own: true },
      ]);
      const sid = resource.statementId('s3', 'svc-dev-uploads');
      expect(aws.policy('svc-dev-api', 'live')).toEqual({
        [sid]: {
          Sid: sid,
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'lambda:InvokeFunction',
          Resource: ALIAS,
          Condition: {
            ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::svc-dev-uploads' },
            StringEquals: { 'AWS:SourceAccount': ACCOUNT },
          },
        },
      });
    });

    it('update to another bucket: the new bucket notifies the alias, the old one keeps only what was not ours', async () => {
      const response = await request(
        TYPE,
        'Update',
        { BucketName: 'svc-dev-archive', BucketConfigs: configs.slice(0, 1) },
        {
          PhysicalResourceId: `traffic-shift:svc-dev-uploads:${ALIAS}`,
          OldResourceProperties: { FunctionArn: ALIAS, BucketName: 'svc-dev-uploads', BucketConfigs: configs },
        },
      );
      expect(response).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: `traffic-shift:svc-dev-archive:${ALIAS}`,
      });
      expect(await lambdaTargets('svc-dev-archive')).toEqual([
        {
          arn: ALIAS,
          events: ['s3:ObjectCreated:*'],
          rules: [
            { Name: 'prefix', Value: 'uploads/' },
            { Name: 'suffix', Value: '.jpg' },
          ],
          own: true,
        },
      ]);
      expect(await lambdaTargets('svc-dev-uploads')).toEqual([
        { arn: WORKER, events: ['s3:ObjectCreated:*'], rules: worker.Filter.Key.FilterRules, own: false },
      ]);
      await expectOthersKept('svc-dev-uploads');
      expect(Object.keys(aws.policy('svc-dev-api', 'live'))).toEqual([resource.statementId('s3', 'svc-dev-archive')]);
    });

    it('delete: the bucket keeps nothing of the alias, the alias nothing of the bucket; a second delete and a delete of a missing bucket succeed', async () => {
      const props = { BucketName: 'svc-dev-archive', BucketConfigs: configs.slice(0, 1) };
      const physicalId = `traffic-shift:svc-dev-archive:${ALIAS}`;
      expect(await request(TYPE, 'Delete', props, { PhysicalResourceId: physicalId })).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: physicalId,
      });
      expect(await lambdaTargets('svc-dev-archive')).toEqual([]);
      expect(aws.policy('svc-dev-api', 'live')).toEqual({});
      expect((await request(TYPE, 'Delete', props, { PhysicalResourceId: physicalId })).Status).toBe('SUCCESS');
      expect(
        await request(TYPE, 'Delete', { ...props, BucketName: 'svc-dev-gone' }, { PhysicalResourceId: 'p' }),
      ).toMatchObject({
        Status: 'SUCCESS',
        Reason: 'bucket svc-dev-gone no longer exists',
      });
    });

    it('create on a missing bucket: FAILED, naming the bucket, and no grant is left on the alias', async () => {
      const response = await request(TYPE, 'Create', { BucketName: 'svc-dev-gone', BucketConfigs: configs });
      expect(response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'traffic-shift:not-created' });
      expect(response.Reason).toMatch(
        /^Create of ApiCustomTrafficShift \(Custom::TrafficShiftExistingBucket\) failed while reading the notification configuration of bucket svc-dev-gone: NoSuchBucket: /,
      );
      expect(aws.policy('svc-dev-api', 'live')).toEqual({});
    });

    it('create that S3 refuses (overlapping the worker): FAILED with S3’s reason, the bucket as it was, no grant left', async () => {
      const before = await notifications('svc-dev-shared');
      const response = await request(TYPE, 'Create', {
        BucketName: 'svc-dev-shared',
        BucketConfigs: [{ Event: 's3:ObjectCreated:Put', Rules: [{ Prefix: 'reports/' }, { Suffix: '.csv' }] }],
      });
      expect(response).toMatchObject({
        Status: 'FAILED',
        PhysicalResourceId: 'traffic-shift:not-created',
        Reason:
          'Create of ApiCustomTrafficShift (Custom::TrafficShiftExistingBucket) failed while writing the notification configuration of bucket svc-dev-shared: ' +
          'InvalidArgument: Configurations overlap. Configurations on the same bucket cannot share a common event type.',
      });
      expect(await notifications('svc-dev-shared')).toEqual(before);
      expect(aws.policy('svc-dev-api', 'live')).toEqual({});
    });

    describe.each([
      ['the first to read writes first', false],
      ['the last to read writes first', true],
    ])('two of its writers on one bucket, both reading before either writes (%s)', (_order, lastFirst) => {
      const apiProps = {
        BucketName: 'svc-dev-shared',
        BucketConfigs: [{ Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'api/' }] }],
      };
      const jobsProps = {
        BucketName: 'svc-dev-shared',
        FunctionArn: JOBS,
        BucketConfigs: [{ Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'jobs/' }] }],
      };
      const concurrently = async (
        type: string,
        api: Record<string, unknown>,
        jobs: Record<string, unknown>,
        extra: Record<string, unknown> = {},
      ) => {
        const gate = aws.interleave({ bucket: 'svc-dev-shared' }, 2, { lastFirst });
        const seen = aws.operations.length;
        const answers = await Promise.all([request(TYPE, type, api, extra), request(TYPE, type, jobs, extra)]);
        expect(await gate.released).toBe(true);
        expectOneRewrite(seen, 'svc-dev-shared');
        return answers.map((a) => a.Status);
      };
      const prefixes = async () =>
        ((await notifications('svc-dev-shared')).LambdaFunctionConfigurations ?? [])
          .filter((c) => c.LambdaFunctionArn !== WORKER)
          .map(
            (c) =>
              `${c.LambdaFunctionArn === ALIAS ? 'api' : c.LambdaFunctionArn === JOBS ? 'jobs' : c.LambdaFunctionArn} ${c.Events} ${c.Filter?.Key?.FilterRules?.map((r) => r.Value)}`,
          )
          .sort();

      it('create, update, delete: every entry of both, and everything else, survives; nothing is left after the deletes', async () => {
        expect(await concurrently('Create', apiProps, jobsProps)).toEqual(['SUCCESS', 'SUCCESS']);
        expect(await prefixes()).toEqual(['api s3:ObjectCreated:* api/', 'jobs s3:ObjectCreated:* jobs/']);
        await expectOthersKept('svc-dev-shared');

        const removed = (props: typeof apiProps) => ({
          ...props,
          BucketConfigs: [
            ...props.BucketConfigs,
            { Event: 's3:ObjectRemoved:*', Rules: [{ Prefix: props === apiProps ? 'api/' : 'jobs/' }] },
          ],
        });
        const gate = aws.interleave({ bucket: 'svc-dev-shared' }, 2, { lastFirst });
        const seen = aws.operations.length;
        const updates = await Promise.all([
          request(TYPE, 'Update', removed(apiProps), {
            PhysicalResourceId: 'a',
            OldResourceProperties: { ...apiProps, FunctionArn: ALIAS },
          }),
          request(TYPE, 'Update', removed(jobsProps), { PhysicalResourceId: 'j', OldResourceProperties: jobsProps }),
        ]);
        expect(await gate.released).toBe(true);
        expectOneRewrite(seen, 'svc-dev-shared');
        expect(updates.map((u) => u.Status)).toEqual(['SUCCESS', 'SUCCESS']);
        expect(await prefixes()).toEqual([
          'api s3:ObjectCreated:* api/',
          'api s3:ObjectRemoved:* api/',
          'jobs s3:ObjectCreated:* jobs/',
          'jobs s3:ObjectRemoved:* jobs/',
        ]);
        await expectOthersKept('svc-dev-shared');

        expect(
          await concurrently('Delete', removed(apiProps), removed(jobsProps), { PhysicalResourceId: 'p' }),
        ).toEqual(['SUCCESS', 'SUCCESS']);
        expect(await prefixes()).toEqual([]);
        await expectOthersKept('svc-dev-shared');
        expect(aws.policy('svc-dev-api', 'live')).toEqual({});
        expect(aws.policy('svc-dev-jobs', 'live')).toEqual({});
      });
    });
  });

  describe('Custom::TrafficShiftExistingUserPool', () => {
    const TYPE = 'Custom::TrafficShiftExistingUserPool';
    const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    // Every setting UpdateUserPool takes that moto (with the proxy) keeps.
    const poolSettings = (
      name: string,
      LambdaConfig: CreateUserPoolCommandInput['LambdaConfig'],
    ): CreateUserPoolCommandInput =>
      ({
        PoolName: name,
        Policies: {
          PasswordPolicy: {
            MinimumLength: 12,
            RequireSymbols: false,
            RequireUppercase: true,
            RequireLowercase: true,
            RequireNumbers: true,
            PasswordHistorySize: 4,
            TemporaryPasswordValidityDays: 3,
          },
          SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] },
        },
        DeletionProtection: 'ACTIVE',
        AutoVerifiedAttributes: ['email'],
        SmsVerificationMessage: 'sms {####}',
        EmailVerificationMessage: 'email {####}',
        EmailVerificationSubject: 'Your code',
        VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE', EmailSubject: 'Your code' },
        SmsAuthenticationMessage: 'auth {####}',
        UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
        MfaConfiguration: 'OPTIONAL',
        DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: false },
        EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT', ReplyToEmailAddress: 'support@example.com' },
        SmsConfiguration: { SnsCallerArn: `arn:aws:iam::${ACCOUNT}:role/sms`, ExternalId: 'svc', SnsRegion: REGION },
        UserPoolTags: { team: 'identity' },
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true, InviteMessageTemplate: { EmailSubject: 'Welcome' } },
        UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' },
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
        UserPoolTier: 'PLUS',
        // Kept by the proxy (moto does not): the custom ACR names are what UpdateUserPool used to reset.
        AcrConfiguration: {
          Level1: { AcrValue: 'urn:example:acr:bronze' },
          Level2: { AcrValue: 'urn:example:acr:silver' },
        },
        IssuerConfiguration: { Type: 'UPDATED' },
        LambdaConfig,
      }) as CreateUserPoolCommandInput;

    const describePool = async (id: string) =>
      (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool!;
    /** Everything of the pool but its triggers and its modification date. */
    const settings = (pool: UserPoolType) => {
      const { LambdaConfig: _triggers, LastModifiedDate: _modified, ...rest } = pool;
      return rest;
    };
    const createPool = async (name: string, LambdaConfig: CreateUserPoolCommandInput['LambdaConfig']) => {
      const created = await cognito.send(new CreateUserPoolCommand(poolSettings(name, LambdaConfig)));
      const id = created.UserPool!.Id!;
      return { id, before: await describePool(id) };
    };

    let poolId: string;
    let before: UserPoolType;

    beforeAll(async () => {
      // svc-dev-worker's trigger, and the one the framework's Custom::CognitoUserPool wrote for svc-dev-api.
      ({ id: poolId, before } = await createPool('svc-dev-users', { PreSignUp: WORKER, PostConfirmation: FN }));
    });

    it('the proxy keeps the settings moto does not, and resets each one UpdateUserPool is not given, as Cognito does', async () => {
      expect(before.AcrConfiguration).toEqual({
        Level1: { AcrValue: 'urn:example:acr:bronze' },
        Level2: { AcrValue: 'urn:example:acr:silver' },
      });
      expect(before.IssuerConfiguration).toEqual({ Type: 'UPDATED' });
      const { id } = await createPool('svc-dev-scratch', {});
      await cognito.send(new UpdateUserPoolCommand({ UserPoolId: id, IssuerConfiguration: { Type: 'UPDATED' } }));
      const updated = await describePool(id);
      expect(updated.AcrConfiguration).toBeUndefined();
      expect(updated.IssuerConfiguration).toEqual({ Type: 'UPDATED' });
    });

    it('create: the alias takes over the function triggers, the other function and every setting stay', async () => {
      const response = await request(TYPE, 'Create', {
        UserPoolName: 'svc-dev-users',
        UserPoolConfigs: [
          { Trigger: 'PostConfirmation' },
          { Trigger: 'CustomSMSSender', LambdaVersion: 'V1_0', KMSKeyID: KEY },
        ],
      });
      expect(response).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: `traffic-shift:svc-dev-users:${ALIAS}`,
        Data: { UserPoolId: poolId },
      });
      const pool = await describePool(poolId);
      expect(pool.LambdaConfig).toEqual({
        PreSignUp: WORKER,
        PostConfirmation: ALIAS,
        CustomSMSSender: { LambdaArn: ALIAS, LambdaVersion: 'V1_0' },
        KMSKeyID: KEY,
      });
      expect(settings(pool)).toEqual(settings(before));
      const sid = resource.statementId('cognito', 'svc-dev-users');
      expect(aws.policy('svc-dev-api', 'live')[sid]).toEqual({
        Sid: sid,
        Effect: 'Allow',
        Principal: { Service: 'cognito-idp.amazonaws.com' },
        Action: 'lambda:InvokeFunction',
        Resource: ALIAS,
        Condition: { ArnLike: { 'AWS:SourceArn': `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${poolId}` } },
      });
    });

    it('update: a trigger dropped from the settings goes, with the KMS key; every setting stays', async () => {
      const response = await request(
        TYPE,
        'Update',
        { UserPoolName: 'svc-dev-users', UserPoolConfigs: [{ Trigger: 'PreAuthentication' }] },
        {
          PhysicalResourceId: `traffic-shift:svc-dev-users:${ALIAS}`,
          OldResourceProperties: { FunctionArn: ALIAS, UserPoolName: 'svc-dev-users' },
        },
      );
      expect(response.Status).toBe('SUCCESS');
      const pool = await describePool(poolId);
      expect(pool.LambdaConfig).toEqual({ PreSignUp: WORKER, PreAuthentication: ALIAS });
      expect(settings(pool)).toEqual(settings(before));
    });

    it('update to a PreTokenGeneration trigger with a LambdaVersion (V2_0): the version is kept', async () => {
      const props = {
        UserPoolName: 'svc-dev-users',
        UserPoolConfigs: [{ Trigger: 'PreTokenGeneration', LambdaVersion: 'V2_0' }],
      };
      const response = await request(TYPE, 'Update', props, {
        PhysicalResourceId: `traffic-shift:svc-dev-users:${ALIAS}`,
        OldResourceProperties: {
          FunctionArn: ALIAS,
          UserPoolName: 'svc-dev-users',
          UserPoolConfigs: [{ Trigger: 'PreAuthentication' }],
        },
      });
      expect(response.Status).toBe('SUCCESS');
      const pool = await describePool(poolId);
      expect(pool.LambdaConfig).toEqual({
        PreSignUp: WORKER,
        PreTokenGeneration: ALIAS,
        PreTokenGenerationConfig: { LambdaArn: ALIAS, LambdaVersion: 'V2_0' },
      });
      expect(settings(pool)).toEqual(settings(before));
    });

    it('delete: only the other function trigger is left, the settings stay, the alias keeps no grant of the pool', async () => {
      const response = await request(
        TYPE,
        'Delete',
        { UserPoolName: 'svc-dev-users', UserPoolConfigs: [{ Trigger: 'PreTokenGeneration', LambdaVersion: 'V2_0' }] },
        { PhysicalResourceId: `traffic-shift:svc-dev-users:${ALIAS}` },
      );
      expect(response).toMatchObject({
        Status: 'SUCCESS',
        Reason: `removed the triggers of ${ALIAS} from user pool svc-dev-users`,
      });
      const pool = await describePool(poolId);
      expect(pool.LambdaConfig).toEqual({ PreSignUp: WORKER });
      expect(settings(pool)).toEqual(settings(before));
      expect(aws.policy('svc-dev-api', 'live')).toEqual({});
    });

    it('a pool that does not exist: FAILED naming it on create, success on delete', async () => {
      const failed = await request(TYPE, 'Create', {
        UserPoolName: 'svc-dev-nobody',
        UserPoolConfigs: [{ Trigger: 'PreSignUp' }],
      });
      expect(failed).toMatchObject({
        Status: 'FAILED',
        Reason:
          'Create of ApiCustomTrafficShift (Custom::TrafficShiftExistingUserPool) failed: there is no user pool named "svc-dev-nobody" in us-east-1',
      });
      expect(
        await request(
          TYPE,
          'Delete',
          { UserPoolName: 'svc-dev-nobody' },
          { PhysicalResourceId: failed.PhysicalResourceId },
        ),
      ).toMatchObject({ Status: 'SUCCESS' });
    });

    it('a pool with a setting this SDK does not know (a newer Cognito): FAILED naming it, the pool untouched, no grant left', async () => {
      const { id, before: newer } = await createPool('svc-dev-newer', { PreSignUp: WORKER });
      aws.describeAlso(id, { FutureSetting: { Mode: 'STRICT' } });
      const writes = aws.operations.filter((o) => o === `write ${id}`).length;
      const response = await request(TYPE, 'Create', {
        UserPoolName: 'svc-dev-newer',
        UserPoolConfigs: [{ Trigger: 'PostConfirmation' }],
      });
      expect(response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'traffic-shift:not-created' });
      expect(response.Reason).toMatch(
        new RegExp(
          `^Create of ApiCustomTrafficShift \\(Custom::TrafficShiftExistingUserPool\\) failed while reading the triggers of user pool svc-dev-newer \\(${id}\\): ` +
            'Cognito describes settings of the pool that the AWS SDK of this Lambda runtime \\(@aws-sdk/client-cognito-identity-provider 3\\.\\d+\\.\\d+\\) does not know: UserPool\\.FutureSetting\\. ' +
            'UpdateUserPool would reset them, so the triggers were not changed$',
        ),
      );
      expect(aws.operations.filter((o) => o === `write ${id}`)).toHaveLength(writes);
      expect(settings(await describePool(id))).toEqual(settings(newer));
      expect(aws.policy('svc-dev-api', 'live')).toEqual({});
    });

    describe.each([
      ['the first to read writes first', false],
      ['the last to read writes first', true],
    ])('two of its writers on one pool, both reading before either writes (%s)', (_order, lastFirst) => {
      it('create, update, delete: the triggers of both, and every setting, survive; nothing is left after the deletes', async () => {
        const name = `svc-dev-shared-${lastFirst ? 'b' : 'a'}`;
        const { id, before: shared } = await createPool(name, { CustomMessage: WORKER });
        const api = { UserPoolName: name, UserPoolConfigs: [{ Trigger: 'PreSignUp' }] };
        const jobs = { UserPoolName: name, FunctionArn: JOBS, UserPoolConfigs: [{ Trigger: 'PostConfirmation' }] };
        type Props = Record<string, unknown>;
        const both = async (type: string, [a, extraA = {}]: [Props, Props?], [j, extraJ = {}]: [Props, Props?]) => {
          const gate = aws.interleave({ pool: id }, 2, { lastFirst });
          const seen = aws.operations.length;
          const answers = await Promise.all([request(TYPE, type, a, extraA), request(TYPE, type, j, extraJ)]);
          expect(await gate.released).toBe(true);
          expectOneRewrite(seen, id);
          expect(answers.map((r) => r.Status)).toEqual(['SUCCESS', 'SUCCESS']);
          return describePool(id);
        };

        let pool = await both('Create', [api], [jobs]);
        expect(pool.LambdaConfig).toEqual({ CustomMessage: WORKER, PreSignUp: ALIAS, PostConfirmation: JOBS });
        expect(settings(pool)).toEqual(settings(shared));

        const moved = (p: Record<string, unknown>, Trigger: string) => ({ ...p, UserPoolConfigs: [{ Trigger }] });
        pool = await both(
          'Update',
          [
            moved(api, 'PreAuthentication'),
            { PhysicalResourceId: 'a', OldResourceProperties: { ...api, FunctionArn: ALIAS } },
          ],
          [moved(jobs, 'PostAuthentication'), { PhysicalResourceId: 'j', OldResourceProperties: jobs }],
        );
        expect(pool.LambdaConfig).toEqual({
          CustomMessage: WORKER,
          PreAuthentication: ALIAS,
          PostAuthentication: JOBS,
        });
        expect(settings(pool)).toEqual(settings(shared));

        pool = await both('Delete', [api, { PhysicalResourceId: 'a' }], [jobs, { PhysicalResourceId: 'j' }]);
        expect(pool.LambdaConfig).toEqual({ CustomMessage: WORKER });
        expect(settings(pool)).toEqual(settings(shared));
      });
    });
  });
});
