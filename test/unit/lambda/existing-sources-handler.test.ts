/**
 * The existing-bucket and existing-user-pool custom resource handler, exactly as it is inlined into templates, against
 * SDK mocks that keep state like the services do: a read returns the last write (S3's notification configuration;
 * Cognito's pool, where UpdateUserPool resets every setting it is not given, as AWS documents). The handler waits
 * after each write before checking it: the timers are faked and driven, the response to CloudFormation still travels
 * over a real socket to a local server.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as cognitoSdk from '@aws-sdk/client-cognito-identity-provider';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  ListUserPoolsCommand,
  UpdateUserPoolCommand,
  type LambdaConfigType,
  type UpdateUserPoolCommandInput,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { AddPermissionCommand, LambdaClient, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import {
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  S3Client,
  type LambdaFunctionConfiguration,
  type NotificationConfiguration,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

const resource = require('../../../src/lambda/existing-sources-handler.js') as {
  handler(event: Record<string, unknown>, context: Record<string, unknown>): Promise<unknown>;
  parseAliasArn(arn: string): Record<string, string>;
  statementId(kind: string, name: string): string;
  lambdaConfig(current: LambdaConfigType, dropArns: string[], aliasArn: string, configs?: unknown[]): LambdaConfigType;
  triggersHold(after: LambdaConfigType, intended: LambdaConfigType, aliasArn: string, dropArns: string[]): boolean;
  missingFields(given: unknown, kept: unknown): string[];
  READ_ONLY_POOL_FIELDS: string[];
  RESPONSE_MARGIN_MS: number;
  SETTLE_MS: number;
  WRITE_ATTEMPTS: number;
  NOT_CREATED: string;
};

const s3 = mockClient(S3Client);
const lambda = mockClient(LambdaClient);
const cognito = mockClient(CognitoIdentityProviderClient);

const ACCOUNT = '123456789012';
const FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:svc-dev-api`;
const ALIAS = `${FN}:live`;
const OTHER = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:svc-dev-worker`;
const STATEMENT_ID = /^[a-zA-Z0-9_-]{1,100}$/;
const OWN_ID = /^TrafficShift-[0-9a-f]{8}-[0-9a-f]{8}$/;
const context = { getRemainingTimeInMillis: () => 300000, logStreamName: 'stream-1' };
const error = (name: string, message: string) => Object.assign(new Error(message), { name });
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

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

// The services' state: a bucket's notification configuration (no entry: the bucket does not exist), user pools by id.
let buckets: Map<string, NotificationConfiguration>;
let userPools: Map<string, UserPoolType>;

beforeEach(() => {
  received = [];
  buckets = new Map();
  userPools = new Map();
  s3.reset();
  lambda.reset();
  cognito.reset();
  lambda.on(AddPermissionCommand).resolves({});
  lambda.on(RemovePermissionCommand).resolves({});
  s3.on(GetBucketNotificationConfigurationCommand).callsFake(async ({ Bucket }) => {
    const configuration = buckets.get(Bucket);
    if (!configuration) throw error('NoSuchBucket', 'The specified bucket does not exist');
    return clone(configuration);
  });
  s3.on(PutBucketNotificationConfigurationCommand).callsFake(async ({ Bucket, NotificationConfiguration }) => {
    if (!buckets.has(Bucket)) throw error('NoSuchBucket', 'The specified bucket does not exist');
    buckets.set(Bucket, clone(NotificationConfiguration));
    return {};
  });
  cognito.on(ListUserPoolsCommand).callsFake(async () => ({
    UserPools: [...userPools.values()].map((p) => ({ Id: p.Id, Name: p.Name })),
  }));
  cognito.on(DescribeUserPoolCommand).callsFake(async ({ UserPoolId }) => {
    const pool = userPools.get(UserPoolId);
    if (!pool) throw error('ResourceNotFoundException', `User pool ${UserPoolId} does not exist.`);
    return { UserPool: structuredClone(pool) };
  });
  cognito.on(UpdateUserPoolCommand).callsFake(async (input: UpdateUserPoolCommandInput) => {
    const pool = userPools.get(input.UserPoolId as string) as UserPoolType;
    userPools.set(input.UserPoolId as string, updatedPool(pool, input));
    return {};
  });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance', 'Date'] });
});

afterEach(() => {
  jest.useRealTimers();
});

/**
 * Cognito's UpdateUserPool: the read-only fields stay, every other setting becomes what the request gives, absent
 * ones are reset (here: removed), PoolName renames.
 */
function updatedPool(pool: UserPoolType, input: UpdateUserPoolCommandInput): UserPoolType {
  const readOnly = Object.fromEntries(
    Object.entries(pool).filter(([key]) => resource.READ_ONLY_POOL_FIELDS.includes(key)),
  );
  const { UserPoolId: _id, PoolName, ...settings } = clone(input);
  return { ...readOnly, ...settings, ...(PoolName && { Name: PoolName }) } as UserPoolType;
}

/** Drives the faked timers until `promise` settles, letting real I/O (the response socket) run in between. */
async function settle<T>(promise: Promise<T>): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) {
    await jest.advanceTimersByTimeAsync(250);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return promise;
}

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
    StackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/svc-dev/guid`,
    RequestId: 'request-1',
    LogicalResourceId: 'ApiCustomS31TrafficShift',
    ResourceType: type,
    ResourceProperties: {
      ServiceToken: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:handler`,
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
  received = [];
  await settle(resource.handler(e, ctx));
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
  StackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/svc-dev/guid`,
  RequestId: 'request-1',
  LogicalResourceId: 'ApiCustomS31TrafficShift',
  Data,
});

const puts = () => s3.commandCalls(PutBucketNotificationConfigurationCommand).map((c) => c.args[0].input);
const gets = () => s3.commandCalls(GetBucketNotificationConfigurationCommand).map((c) => c.args[0].input);
const added = () => lambda.commandCalls(AddPermissionCommand).map((c) => c.args[0].input);
const removed = () => lambda.commandCalls(RemovePermissionCommand).map((c) => c.args[0].input);
const resetHistory = () => {
  s3.resetHistory();
  lambda.resetHistory();
  cognito.resetHistory();
};

describe('Custom::TrafficShiftExistingBucket', () => {
  const BUCKET = 'Custom::TrafficShiftExistingBucket';
  const topic = {
    Id: 'to-sns',
    TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:t`,
    Events: ['s3:ObjectRemoved:*' as const],
  };
  const queue = {
    Id: 'to-sqs',
    QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:q`,
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
  const ours = (arn = ALIAS) =>
    (buckets.get('uploads')?.LambdaFunctionConfigurations ?? []).filter((c) => c.LambdaFunctionArn === arn);

  it('create: permission on the alias, then one PUT that keeps foreign notifications, drops the framework entry and adds the alias', async () => {
    const order: string[] = [];
    lambda.on(AddPermissionCommand).callsFake(async () => order.push('permission') && {});
    buckets.set('uploads', {
      TopicConfigurations: [topic],
      QueueConfigurations: [queue],
      LambdaFunctionConfigurations: [foreign, framework],
      EventBridgeConfiguration: {},
    });
    s3.on(PutBucketNotificationConfigurationCommand).callsFake(async ({ Bucket, NotificationConfiguration }) => {
      order.push('notifications');
      buckets.set(Bucket, clone(NotificationConfiguration));
      return {};
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
        SourceAccount: ACCOUNT,
      },
    ]);
    // Read, read again just before the write, write, read back: each names the account that must own the bucket.
    expect(gets()).toEqual([1, 2, 3].map(() => ({ Bucket: 'uploads', ExpectedBucketOwner: ACCOUNT })));
    expect(puts()).toEqual([
      {
        Bucket: 'uploads',
        ExpectedBucketOwner: ACCOUNT,
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

  it('writes the same ids on every run, replaces its own earlier notifications, and writes nothing when nothing changes', async () => {
    buckets.set('uploads', { LambdaFunctionConfigurations: [foreign] });
    await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
    const first = puts()[0]!.NotificationConfiguration!.LambdaFunctionConfigurations!;

    resetHistory();
    // The bucket as the first run left it, with an extra notification of this alias that the new settings no longer have.
    const stale = {
      Id: `${first[1]!.Id!.slice(0, 22)}ffffffff`,
      LambdaFunctionArn: ALIAS,
      Events: ['s3:ObjectRestore:*' as const],
    };
    buckets.set('uploads', { LambdaFunctionConfigurations: [...first, stale] });
    const update = event(
      BUCKET,
      'Update',
      { BucketName: 'uploads', BucketConfigs: configs },
      {
        PhysicalResourceId: `traffic-shift:uploads:${ALIAS}`,
        OldResourceProperties: { BucketName: 'uploads', FunctionArn: ALIAS, BucketConfigs: configs },
      },
    );
    expect((await invoke(update)).Status).toBe('SUCCESS');
    expect(puts()[0]?.NotificationConfiguration?.LambdaFunctionConfigurations).toEqual(first);

    resetHistory();
    expect((await invoke(update)).Status).toBe('SUCCESS');
    expect(puts()).toEqual([]);
    expect(gets()).toHaveLength(1);
  });

  it('replaces a permission statement of the same id instead of failing', async () => {
    buckets.set('uploads', {});
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
    buckets.set('uploads', {});
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
    buckets.set('old-bucket', {});
    await invoke(event(BUCKET, 'Create', { BucketName: 'old-bucket', BucketConfigs: configs }));
    const oldOwn = buckets.get('old-bucket')!.LambdaFunctionConfigurations!;
    buckets.set('old-bucket', { TopicConfigurations: [topic], LambdaFunctionConfigurations: [foreign, ...oldOwn] });
    buckets.set('new-bucket', { QueueConfigurations: [queue] });
    resetHistory();

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
    expect(buckets.get('new-bucket')?.QueueConfigurations).toEqual([queue]);
    expect(buckets.get('new-bucket')?.LambdaFunctionConfigurations?.map((c) => c.LambdaFunctionArn)).toEqual([
      ALIAS,
      ALIAS,
    ]);
    expect(buckets.get('old-bucket')).toEqual({
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
    buckets.set('new-bucket', {});
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
    buckets.set('uploads', { LambdaFunctionConfigurations: [foreign] });
    await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', FunctionArn: OLD, BucketConfigs: configs }));
    resetHistory();
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
    expect(buckets.get('uploads')?.LambdaFunctionConfigurations?.map((c) => c.LambdaFunctionArn)).toEqual([
      OTHER,
      ALIAS,
      ALIAS,
    ]);
    expect(removed()).toEqual([
      { FunctionName: FN, Qualifier: 'previous', StatementId: resource.statementId('s3', 'uploads') },
    ]);
  });

  it('delete: removes only its own notifications (not the framework entry, which its resource may have written again), then the permission', async () => {
    buckets.set('uploads', {});
    await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
    const own = ours();
    buckets.set('uploads', {
      TopicConfigurations: [topic],
      LambdaFunctionConfigurations: [foreign, ...own, framework],
      EventBridgeConfiguration: {},
    });
    resetHistory();
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
    expect(buckets.get('uploads')).toEqual({
      TopicConfigurations: [topic],
      LambdaFunctionConfigurations: [foreign, framework],
      EventBridgeConfiguration: {},
    });
    expect(puts()).toHaveLength(1);
    expect(removed()).toEqual([
      { FunctionName: FN, Qualifier: 'live', StatementId: resource.statementId('s3', 'uploads') },
    ]);
  });

  it('delete: writes nothing when nothing is left, and succeeds on a bucket or permission that is gone', async () => {
    buckets.set('uploads', { LambdaFunctionConfigurations: [foreign] });
    lambda
      .on(RemovePermissionCommand)
      .rejects(error('ResourceNotFoundException', 'No policy is associated with the given resource.'));
    const props = { BucketName: 'uploads', BucketConfigs: configs };
    expect((await invoke(event(BUCKET, 'Delete', props, { PhysicalResourceId: 'p' }))).Status).toBe('SUCCESS');
    expect(puts()).toEqual([]);

    buckets.delete('uploads');
    expect(await invoke(event(BUCKET, 'Delete', props, { PhysicalResourceId: 'p' }))).toEqual(
      answer('SUCCESS', 'bucket uploads no longer exists', 'p'),
    );
  });

  describe('a failed create undoes what it did before answering', () => {
    it('the bucket does not exist: the permission it added is removed, and the Delete that follows touches nothing', async () => {
      const failed = await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
      expect(failed).toEqual(
        answer(
          'FAILED',
          'Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingBucket) failed while reading the notification configuration of bucket uploads: NoSuchBucket: The specified bucket does not exist',
          resource.NOT_CREATED,
        ),
      );
      expect(removed()).toEqual([{ FunctionName: FN, Qualifier: 'live', StatementId: added()[0]?.StatementId }]);

      resetHistory();
      const body = await invoke(
        event(
          BUCKET,
          'Delete',
          { BucketName: 'uploads', BucketConfigs: configs },
          { PhysicalResourceId: failed.PhysicalResourceId },
        ),
      );
      expect(body).toEqual(
        answer('SUCCESS', 'nothing to delete: the resource was never created', resource.NOT_CREATED),
      );
      expect(s3.calls()).toHaveLength(0);
      expect(lambda.calls()).toHaveLength(0);
    });

    it('the PUT is refused: the bucket keeps what it had, the permission goes', async () => {
      const before = { QueueConfigurations: [queue], LambdaFunctionConfigurations: [foreign, framework] };
      buckets.set('uploads', clone(before));
      s3.on(PutBucketNotificationConfigurationCommand).rejects(error('AccessDenied', 'Access Denied'));
      const failed = await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
      expect(failed).toEqual(
        answer(
          'FAILED',
          'Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingBucket) failed while writing the notification configuration of bucket uploads: AccessDenied: Access Denied',
          resource.NOT_CREATED,
        ),
      );
      expect(buckets.get('uploads')).toEqual(before);
      expect(removed()).toEqual([
        { FunctionName: FN, Qualifier: 'live', StatementId: resource.statementId('s3', 'uploads') },
      ]);
    });

    it('after writing (another writer keeps undoing it): its notifications go and the framework entry it replaced comes back', async () => {
      buckets.set('uploads', { LambdaFunctionConfigurations: [foreign, framework] });
      // Another writer puts back what it read before each of the handler's writes, right after it.
      const snapshot = clone(buckets.get('uploads')!);
      s3.on(PutBucketNotificationConfigurationCommand).callsFake(async ({ Bucket, NotificationConfiguration }) => {
        const ownWrite = (NotificationConfiguration?.LambdaFunctionConfigurations ?? []).some(
          (c: LambdaFunctionConfiguration) => c.LambdaFunctionArn === ALIAS,
        );
        buckets.set(Bucket, clone(ownWrite ? snapshot : NotificationConfiguration));
        return {};
      });
      const failed = await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
      expect(failed.Status).toBe('FAILED');
      expect(failed.Reason).toBe(
        `Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingBucket) failed: another writer overwrote the notification configuration of bucket uploads ${resource.WRITE_ATTEMPTS} times right after this handler wrote it; the change is not in place. Deploy again once the other writer is done.`,
      );
      expect(failed.PhysicalResourceId).toBe(resource.NOT_CREATED);
      expect(
        puts().filter((p) =>
          p.NotificationConfiguration?.LambdaFunctionConfigurations?.some((c) => c.LambdaFunctionArn === ALIAS),
        ),
      ).toHaveLength(resource.WRITE_ATTEMPTS);
      expect(buckets.get('uploads')).toEqual({ LambdaFunctionConfigurations: [foreign, framework] });
      expect(removed()).toHaveLength(1);
    });

    it('when undoing fails too, it answers the resource id, so the Delete CloudFormation sends next removes what is left', async () => {
      buckets.set('uploads', {});
      s3.on(PutBucketNotificationConfigurationCommand).rejects(error('AccessDenied', 'Access Denied'));
      lambda.on(RemovePermissionCommand).rejects(error('TooManyRequestsException', 'Rate exceeded'));
      const failed = await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
      expect(failed).toEqual(
        answer(
          'FAILED',
          'Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingBucket) failed while writing the notification configuration of bucket uploads: AccessDenied: Access Denied; ' +
            `undoing what the Create did failed too (the Delete that follows tries again): removing permission ${resource.statementId('s3', 'uploads')} from ${ALIAS}: TooManyRequestsException: Rate exceeded`,
          `traffic-shift:uploads:${ALIAS}`,
        ),
      );
      lambda.on(RemovePermissionCommand).resolves({});
      resetHistory();
      const deleted = await invoke(
        event(
          BUCKET,
          'Delete',
          { BucketName: 'uploads', BucketConfigs: configs },
          { PhysicalResourceId: failed.PhysicalResourceId },
        ),
      );
      expect(deleted.Status).toBe('SUCCESS');
      expect(removed()).toHaveLength(1);
    });
  });

  describe('a concurrent writer (no conditional write exists: the handler reads before and after it writes)', () => {
    it('a change that lands between the read and the write is taken in, not overwritten', async () => {
      buckets.set('uploads', { LambdaFunctionConfigurations: [foreign] });
      const arriving = { Id: 'other-writer', QueueArn: queue.QueueArn, Events: ['s3:ObjectRestore:*' as const] };
      let reads = 0;
      s3.on(GetBucketNotificationConfigurationCommand).callsFake(async ({ Bucket }) => {
        // The other writer's PUT lands right after the handler's first read.
        if (++reads === 2) buckets.set(Bucket, { ...buckets.get(Bucket), QueueConfigurations: [arriving] });
        return clone(buckets.get(Bucket)!);
      });
      expect((await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }))).Status).toBe(
        'SUCCESS',
      );
      expect(puts()).toHaveLength(1);
      expect(buckets.get('uploads')?.QueueConfigurations).toEqual([arriving]);
      expect(ours()).toHaveLength(2);
    });

    it('a write overwritten right after it is written again, keeping what the other writer wrote', async () => {
      buckets.set('uploads', { LambdaFunctionConfigurations: [foreign] });
      const theirs = {
        Id: 'svc-dev-jobs-1',
        LambdaFunctionArn: OTHER.replace('worker', 'jobs'),
        Events: ['s3:ObjectRemoved:*' as const],
      };
      let overwritten = false;
      s3.on(PutBucketNotificationConfigurationCommand).callsFake(async ({ Bucket, NotificationConfiguration }) => {
        // The other writer read before the handler's first write and writes after it: the handler's entries are lost.
        buckets.set(
          Bucket,
          overwritten ? clone(NotificationConfiguration) : { LambdaFunctionConfigurations: [foreign, theirs] },
        );
        overwritten = true;
        return {};
      });
      expect((await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }))).Status).toBe(
        'SUCCESS',
      );
      expect(puts()).toHaveLength(2);
      expect(buckets.get('uploads')?.LambdaFunctionConfigurations?.map((c) => c.LambdaFunctionArn)).toEqual([
        OTHER,
        theirs.LambdaFunctionArn,
        ALIAS,
        ALIAS,
      ]);
    });

    it('delete: entries of the alias a concurrent writer put back are removed again before the permission goes', async () => {
      buckets.set('uploads', {});
      await invoke(event(BUCKET, 'Create', { BucketName: 'uploads', BucketConfigs: configs }));
      const own = ours();
      buckets.set('uploads', { LambdaFunctionConfigurations: [foreign, ...own] });
      let first = true;
      const order: string[] = [];
      s3.on(PutBucketNotificationConfigurationCommand).callsFake(async ({ Bucket, NotificationConfiguration }) => {
        order.push('put');
        // A writer that read before the delete writes the alias's entries back right after it.
        buckets.set(
          Bucket,
          first ? { LambdaFunctionConfigurations: [foreign, ...own] } : clone(NotificationConfiguration),
        );
        first = false;
        return {};
      });
      lambda.on(RemovePermissionCommand).callsFake(async () => order.push('permission') && {});
      resetHistory();
      const body = await invoke(
        event(BUCKET, 'Delete', { BucketName: 'uploads', BucketConfigs: configs }, { PhysicalResourceId: 'p' }),
      );
      expect(body.Status).toBe('SUCCESS');
      expect(order).toEqual(['put', 'put', 'permission']);
      expect(buckets.get('uploads')).toEqual({ LambdaFunctionConfigurations: [foreign] });
    });
  });

  it('a failed update keeps the old PhysicalResourceId, so CloudFormation rolls back to it', async () => {
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
    // An Update undoes nothing: CloudFormation's rollback sends the old properties back.
    expect(removed()).toEqual([]);
  });

  it('refuses a FunctionArn that is not an alias', async () => {
    const body = await invoke(
      event(BUCKET, 'Create', { BucketName: 'uploads', FunctionArn: FN, BucketConfigs: configs }),
    );
    expect(body.Reason).toBe(
      `Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingBucket) failed: FunctionArn "${FN}" is not the ARN of a Lambda alias`,
    );
    expect(body.PhysicalResourceId).toBe(resource.NOT_CREATED);
    expect(lambda.calls()).toHaveLength(0);
  });
});

describe('Custom::TrafficShiftExistingUserPool', () => {
  const POOL = 'Custom::TrafficShiftExistingUserPool';
  const POOL_ID = 'us-east-1_abc';
  const POOL_ARN = `arn:aws:cognito-idp:us-east-1:${ACCOUNT}:userpool/${POOL_ID}`;
  const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/k-1`;

  /** What DescribeUserPool returns: every updatable setting of the SDK the tests run with, and read-only fields. */
  const described = (LambdaConfig: UserPoolType['LambdaConfig']): UserPoolType => ({
    Id: POOL_ID,
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
    SmsVerificationMessage: 'code {####}',
    EmailVerificationMessage: 'code {####}',
    EmailVerificationSubject: 'Your code',
    VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE' },
    SmsAuthenticationMessage: 'auth {####}',
    UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    MfaConfiguration: 'OPTIONAL',
    DeviceConfiguration: { ChallengeRequiredOnNewDevice: true },
    EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT' },
    SmsConfiguration: { SnsCallerArn: `arn:aws:iam::${ACCOUNT}:role/sms`, ExternalId: 'x' },
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 3 },
    UserPoolTags: { team: 'a' },
    UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' },
    DcrConfiguration: { EnableStatus: 'Enabled', OpenDcrEnabled: false },
    AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    UserPoolTier: 'PLUS',
    KeyConfiguration: { KeyType: 'AWS_OWNED_KEY' },
    IssuerConfiguration: { Type: 'UPDATED' },
    AcrConfiguration: { Level1: { AcrValue: 'urn:example:acr:silver' } },
    LambdaConfig,
  });

  /** The settings UpdateUserPool must give back: every field but the read-only ones and the triggers. */
  const settings = (pool: UserPoolType) => {
    const { LambdaConfig: _triggers, AdminCreateUserConfig, Policies, ...rest } = pool;
    const kept = Object.fromEntries(
      Object.entries(rest).filter(([key]) => !resource.READ_ONLY_POOL_FIELDS.includes(key)),
    );
    const { UnusedAccountValidityDays: _days, ...admin } = AdminCreateUserConfig ?? {};
    return { ...kept, Name: pool.Name, AdminCreateUserConfig: admin, PasswordPolicy: Policies?.PasswordPolicy };
  };

  function pools(pool: UserPoolType) {
    userPools.set(pool.Id as string, pool);
    cognito
      .on(ListUserPoolsCommand)
      .resolvesOnce({ UserPools: [{ Id: 'us-east-1_other', Name: 'admins' }], NextToken: 'page-2' })
      .callsFake(async () => ({ UserPools: [...userPools.values()].map((p) => ({ Id: p.Id, Name: p.Name })) }));
  }
  const updates = () => cognito.commandCalls(UpdateUserPoolCommand).map((c) => c.args[0].input);
  const triggers = (id = POOL_ID) => userPools.get(id)?.LambdaConfig;

  it('create: finds the pool across pages, grants the alias, and updates the triggers giving back every setting and foreign trigger', async () => {
    const before = described({ PreSignUp: OTHER, PostConfirmation: FN, CustomMessage: OTHER });
    pools(before);
    const body = await invoke(
      event(POOL, 'Create', {
        UserPoolName: 'users',
        UserPoolConfigs: [{ Trigger: 'PostConfirmation' }, { Trigger: 'PreAuthentication' }],
      }),
    );
    expect(body).toEqual(
      answer(
        'SUCCESS',
        `user pool users (${POOL_ID}) invokes ${ALIAS} for PostConfirmation, PreAuthentication`,
        `traffic-shift:users:${ALIAS}`,
        { UserPoolId: POOL_ID },
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
        UserPoolId: POOL_ID,
        PoolName: 'users',
        Policies: { PasswordPolicy: { MinimumLength: 12, RequireSymbols: true, TemporaryPasswordValidityDays: 3 } },
        DeletionProtection: 'ACTIVE',
        AutoVerifiedAttributes: ['email'],
        SmsVerificationMessage: 'code {####}',
        EmailVerificationMessage: 'code {####}',
        EmailVerificationSubject: 'Your code',
        VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE' },
        SmsAuthenticationMessage: 'auth {####}',
        UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
        MfaConfiguration: 'OPTIONAL',
        DeviceConfiguration: { ChallengeRequiredOnNewDevice: true },
        EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT' },
        SmsConfiguration: { SnsCallerArn: `arn:aws:iam::${ACCOUNT}:role/sms`, ExternalId: 'x' },
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UserPoolTags: { team: 'a' },
        UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' },
        DcrConfiguration: { EnableStatus: 'Enabled', OpenDcrEnabled: false },
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
        UserPoolTier: 'PLUS',
        KeyConfiguration: { KeyType: 'AWS_OWNED_KEY' },
        IssuerConfiguration: { Type: 'UPDATED' },
        AcrConfiguration: { Level1: { AcrValue: 'urn:example:acr:silver' } },
        LambdaConfig: { PreSignUp: OTHER, CustomMessage: OTHER, PostConfirmation: ALIAS, PreAuthentication: ALIAS },
      },
    ]);
    const after = userPools.get(POOL_ID)!;
    expect(settings(after)).toEqual({
      ...settings(before),
      PasswordPolicy: { ...before.Policies!.PasswordPolicy, TemporaryPasswordValidityDays: 3 },
    });
  });

  it('gives back every field of the answer that UpdateUserPool takes: the read-only list is the SDK model’s difference', () => {
    // The schemas of the SDK the tests run with: the members of DescribeUserPool's UserPoolType and of UpdateUserPool's request.
    const members = (schema: unknown) => (schema as unknown[])[4] as string[];
    const described = members((cognitoSdk as Record<string, unknown>).UserPoolType$);
    const accepted = members((cognitoSdk as Record<string, unknown>).UpdateUserPoolRequest$);
    expect([...resource.READ_ONLY_POOL_FIELDS].sort()).toEqual(
      described.filter((field) => !accepted.includes(field)).sort(),
    );
    expect(accepted).toContain('PoolName');
    expect(resource.READ_ONLY_POOL_FIELDS).toContain('Name');
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
    expect(triggers()).toEqual({
      CustomSMSSender: { LambdaArn: ALIAS, LambdaVersion: 'V1_0' },
      KMSKeyID: KEY,
    });
  });

  it('PreTokenGeneration with a LambdaVersion (V2_0, V3_0, written by later framework versions) keeps its version', async () => {
    pools(
      described({
        PreSignUp: OTHER,
        PreTokenGeneration: FN,
        PreTokenGenerationConfig: { LambdaArn: FN, LambdaVersion: 'V2_0' },
      }),
    );
    const props = {
      UserPoolName: 'users',
      UserPoolConfigs: [{ Trigger: 'PreTokenGeneration', LambdaVersion: 'V2_0' }],
    };
    expect((await invoke(event(POOL, 'Create', props))).Status).toBe('SUCCESS');
    expect(triggers()).toEqual({
      PreSignUp: OTHER,
      PreTokenGeneration: ALIAS,
      PreTokenGenerationConfig: { LambdaArn: ALIAS, LambdaVersion: 'V2_0' },
    });

    // Update to V3_0: the version follows the settings.
    const v3 = { ...props, UserPoolConfigs: [{ Trigger: 'PreTokenGeneration', LambdaVersion: 'V3_0' }] };
    expect(
      (
        await invoke(
          event(POOL, 'Update', v3, {
            PhysicalResourceId: 'p',
            OldResourceProperties: { ...props, FunctionArn: ALIAS },
          }),
        )
      ).Status,
    ).toBe('SUCCESS');
    expect(triggers()?.PreTokenGenerationConfig).toEqual({ LambdaArn: ALIAS, LambdaVersion: 'V3_0' });

    // Without a version, the legacy trigger; Cognito may report it in PreTokenGenerationConfig too (as V1_0).
    const v1 = { ...props, UserPoolConfigs: [{ Trigger: 'PreTokenGeneration' }] };
    cognito.on(UpdateUserPoolCommand).callsFake(async (input: UpdateUserPoolCommandInput) => {
      const next = updatedPool(userPools.get(POOL_ID)!, input);
      const config = next.LambdaConfig ?? {};
      if (config.PreTokenGeneration && !config.PreTokenGenerationConfig)
        config.PreTokenGenerationConfig = { LambdaArn: config.PreTokenGeneration, LambdaVersion: 'V1_0' };
      userPools.set(POOL_ID, next);
      return {};
    });
    resetHistory();
    expect(
      (
        await invoke(
          event(POOL, 'Update', v1, { PhysicalResourceId: 'p', OldResourceProperties: { ...v3, FunctionArn: ALIAS } }),
        )
      ).Status,
    ).toBe('SUCCESS');
    expect(updates()).toHaveLength(1);
    expect(updates()[0]?.LambdaConfig).toEqual({ PreSignUp: OTHER, PreTokenGeneration: ALIAS });
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
    expect(triggers()).toEqual({ PreSignUp: OTHER, PostAuthentication: FN });
    expect(removed()).toEqual([
      { FunctionName: FN, Qualifier: 'live', StatementId: resource.statementId('cognito', 'users') },
    ]);

    pools(
      described({
        CustomSMSSender: { LambdaArn: ALIAS, LambdaVersion: 'V1_0' },
        CustomEmailSender: { LambdaArn: OTHER, LambdaVersion: 'V1_0' },
        KMSKeyID: KEY,
      }),
    );
    await invoke(event(POOL, 'Delete', { UserPoolName: 'users' }, { PhysicalResourceId: 'p' }));
    expect(triggers()).toEqual({
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
    userPools.set(POOL_ID, described({}));
    userPools.set('us-east-1_old', {
      ...described({ PreSignUp: ALIAS, CustomMessage: OTHER }),
      Id: 'us-east-1_old',
      Name: 'old-users',
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
      [POOL_ID, { PreSignUp: ALIAS }],
      ['us-east-1_old', { CustomMessage: OTHER }],
    ]);
    expect(removed()).toEqual([
      { FunctionName: FN, Qualifier: 'live', StatementId: resource.statementId('cognito', 'old-users') },
    ]);
  });

  it('a pool that does not exist: FAILED naming it on create (nothing granted), success on delete', async () => {
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
    expect(await invoke(event(POOL, 'Delete', { UserPoolName: 'nobody' }, { PhysicalResourceId: 'p' }))).toEqual(
      answer('SUCCESS', 'user pool nobody no longer exists', 'p'),
    );
  });

  it('an SDK error on a create: FAILED with the step, the pool and the error; the permission it added is removed', async () => {
    pools(described({ PostConfirmation: FN }));
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
    expect(body).toEqual(
      answer(
        'FAILED',
        `Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingUserPool) failed while writing the triggers of user pool users (${POOL_ID}): ` +
          'InvalidParameterException: Please use TemporaryPasswordValidityDays instead of UnusedAccountValidityDays',
        resource.NOT_CREATED,
      ),
    );
    expect(removed()).toEqual([
      { FunctionName: FN, Qualifier: 'live', StatementId: resource.statementId('cognito', 'users') },
    ]);
    expect(triggers()).toEqual({ PostConfirmation: FN });
  });

  it('a failed create after writing: the alias triggers go and the function triggers they replaced come back', async () => {
    pools(
      described({
        PreSignUp: OTHER,
        PostConfirmation: FN,
        CustomSMSSender: { LambdaArn: FN, LambdaVersion: 'V1_0' },
        KMSKeyID: KEY,
      }),
    );
    const before = clone(triggers());
    // Another writer puts back what it read right after each of the handler's writes.
    cognito.on(UpdateUserPoolCommand).callsFake(async (input: UpdateUserPoolCommandInput) => {
      const own = JSON.stringify(input.LambdaConfig).includes(ALIAS);
      const next = updatedPool(userPools.get(POOL_ID)!, input);
      if (own) next.LambdaConfig = clone(before);
      userPools.set(POOL_ID, next);
      return {};
    });
    const body = await invoke(
      event(POOL, 'Create', { UserPoolName: 'users', UserPoolConfigs: [{ Trigger: 'PostConfirmation' }] }),
    );
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toContain(
      `another writer overwrote the triggers of user pool users (${POOL_ID}) ${resource.WRITE_ATTEMPTS} times`,
    );
    expect(triggers()).toEqual(before);
    expect(removed()).toHaveLength(1);
  });

  it('a trigger change a concurrent writer undoes right after it is written is written again', async () => {
    pools(described({ PreSignUp: OTHER }));
    let first = true;
    cognito.on(UpdateUserPoolCommand).callsFake(async (input: UpdateUserPoolCommandInput) => {
      const next = updatedPool(userPools.get(POOL_ID)!, input);
      // The other writer read before the handler's first write, and adds its trigger after it.
      if (first) next.LambdaConfig = { PreSignUp: OTHER, CustomMessage: OTHER };
      first = false;
      userPools.set(POOL_ID, next);
      return {};
    });
    const body = await invoke(
      event(POOL, 'Create', { UserPoolName: 'users', UserPoolConfigs: [{ Trigger: 'PostConfirmation' }] }),
    );
    expect(body.Status).toBe('SUCCESS');
    expect(updates()).toHaveLength(2);
    expect(triggers()).toEqual({ PreSignUp: OTHER, CustomMessage: OTHER, PostConfirmation: ALIAS });
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
    let settled = false;
    const answered = resource
      .handler(event('Custom::TrafficShiftExistingBucket', 'Create', { BucketName: 'uploads', BucketConfigs: [] }), {
        ...context,
        getRemainingTimeInMillis: () => resource.RESPONSE_MARGIN_MS + 200,
      })
      .finally(() => {
        settled = true;
      });
    await jest.advanceTimersByTimeAsync(199);
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toEqual([]);
    expect(settled).toBe(false);
    await settle(answered);
    expect(received.map((r) => r.body)).toEqual([
      answer(
        'FAILED',
        "Create of ApiCustomS31TrafficShift (Custom::TrafficShiftExistingBucket) failed: did not finish 10s before the handler's timeout (log stream stream-1)",
        resource.NOT_CREATED,
      ),
    ]);
  });

  it('tries three times to answer CloudFormation, then throws so the failure shows in the logs', async () => {
    // Port 1 refuses connections; the retries wait 1s and 2s.
    const answering = resource.handler(
      { ...event('Custom::Other', 'Delete', {}), ResponseURL: 'http://127.0.0.1:1/x' },
      context,
    );
    await expect(settle(answering)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
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

  it('finds the fields an SDK left out at any depth; dates read from numbers and null values do not count', () => {
    const raw = {
      UserPool: {
        Id: 'p',
        LastModifiedDate: 1700000000,
        Policies: { PasswordPolicy: { MinimumLength: 8, FuturePolicyField: 3 } },
        LambdaConfig: { PreSignUp: 'a', FutureTrigger: { LambdaArn: 'b', LambdaVersion: 'V1_0' } },
        SchemaAttributes: [{ Name: 'email', FutureAttribute: true }],
        FutureSetting: { Enabled: true },
        Empty: null,
      },
    };
    const parsed = {
      UserPool: {
        Id: 'p',
        LastModifiedDate: new Date(1700000000000),
        Policies: { PasswordPolicy: { MinimumLength: 8 } },
        LambdaConfig: { PreSignUp: 'a' },
        SchemaAttributes: [{ Name: 'email' }],
      },
      $metadata: {},
    };
    expect(resource.missingFields(raw, parsed)).toEqual([
      'UserPool.Policies.PasswordPolicy.FuturePolicyField',
      'UserPool.LambdaConfig.FutureTrigger',
      'UserPool.SchemaAttributes[0].FutureAttribute',
      'UserPool.FutureSetting',
    ]);
    expect(resource.missingFields(parsed.UserPool, parsed.UserPool)).toEqual([]);
  });

  it('checks the triggers read back after a write: present with their version, none of the alias or the replaced function elsewhere', () => {
    const intended = resource.lambdaConfig({}, [], ALIAS, [
      { Trigger: 'PreTokenGeneration', LambdaVersion: 'V2_0' },
      { Trigger: 'PostConfirmation' },
    ]);
    const drop = [ALIAS, FN];
    const holds = (after: LambdaConfigType) => resource.triggersHold(after, intended, ALIAS, drop);
    expect(holds({ ...intended, PreSignUp: OTHER })).toBe(true);
    expect(holds({ ...intended, PreTokenGenerationConfig: { LambdaArn: ALIAS, LambdaVersion: 'V1_0' } })).toBe(false);
    expect(holds({ PreSignUp: OTHER })).toBe(false);
    expect(holds({ ...intended, PreAuthentication: FN })).toBe(false);
    expect(holds({ ...intended, PreAuthentication: ALIAS })).toBe(false);
  });
});
