/**
 * The existing-bucket and existing-user-pool custom resource handler (src/lambda/existing-sources-handler.js), run
 * unchanged against a real moto_server: Create, Update and Delete requests as CloudFormation sends them, a local HTTP
 * server standing for the presigned ResponseURL, and the bucket notifications, user pool settings and alias policy
 * read back from moto. moto_server is started on 127.0.0.1 with a free port and stopped at the end; without it on PATH
 * the suite is skipped, and says so.
 *
 * The handler creates its SDK clients with no options, as in Lambda: AWS_ENDPOINT_URL, the credentials and the region
 * come from the environment, set here for the suite and restored after it. S3 needs no path-style option: the SDK
 * addresses buckets by path on an IP endpoint.
 *
 * What moto does not model, so not verified here:
 * - RemovePermission ignores the Qualifier (the statement of an alias stays in moto), so the alias policy is checked
 *   after Create and Update, not after Delete; AddPermission accepts a duplicate statement id (no conflict to handle).
 * - S3 does not check destinations (permission to invoke, overlapping configurations) when notifications are written.
 * - Cognito's UpdateUserPool resets what it is not given (as AWS does) but does not refuse UnusedAccountValidityDays
 *   nor any other read-only field, and does not check the KMS key of a sender trigger.
 */
import type { AddressInfo } from 'net';
import * as http from 'http';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { CreateAliasCommand, GetPolicyCommand, LambdaClient, PublishVersionCommand } from '@aws-sdk/client-lambda';
import {
  CreateBucketCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describeWithMoto, MOTO_CREDENTIALS, startMoto, type MotoServer } from './moto-server';

const resource = require('../../src/lambda/existing-sources-handler.js') as {
  handler(event: Record<string, unknown>, context: Record<string, unknown>): Promise<unknown>;
  statementId(kind: string, name: string): string;
};

const CREDENTIALS = MOTO_CREDENTIALS;
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:svc-dev-api`;
const ALIAS = `${FN}:live`;
const WORKER = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:svc-dev-worker`;
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:svc-dev-uploads`;

const describeMoto = describeWithMoto('test/integration/existing-sources-moto.test.ts');

/** Functions svc-dev-api (version 1, alias live) and svc-dev-worker, and an SQS queue. */
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
          Worker: fn('worker'),
          Uploads: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'svc-dev-uploads' } },
        },
      }),
    }),
  );
  const lambda = new LambdaClient(config);
  const { Version } = await lambda.send(new PublishVersionCommand({ FunctionName: 'svc-dev-api' }));
  await lambda.send(new CreateAliasCommand({ FunctionName: 'svc-dev-api', Name: 'live', FunctionVersion: Version }));
}

describeMoto('existing-source custom resources against moto_server', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let lambda: LambdaClient;
  let cognito: CognitoIdentityProviderClient;
  let server: http.Server;
  let responseUrl: string;
  const responses: Record<string, unknown>[] = [];
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    moto = await startMoto();
    const endpoint = moto.endpoint;
    const config = { endpoint, region: REGION, credentials: CREDENTIALS };
    await seed(config);
    s3 = new S3Client({ ...config, forcePathStyle: true });
    lambda = new LambdaClient(config);
    cognito = new CognitoIdentityProviderClient(config);

    const env = {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: REGION,
    };
    for (const [key, value] of Object.entries(env)) {
      savedEnv[key] = process.env[key];
      process.env[key] = value;
    }

    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        responses.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        response.end();
      });
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
    await moto?.stop();
  });

  /** Sends one request through the handler and returns what CloudFormation received. */
  async function request(
    ResourceType: string,
    RequestType: string,
    props: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) {
    responses.length = 0;
    await resource.handler(
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
    );
    expect(responses).toHaveLength(1);
    return responses[0]!;
  }

  /** The statements of the alias's resource policy, by statement id. */
  async function aliasPolicy(): Promise<Record<string, Record<string, unknown>>> {
    const { Policy } = await lambda.send(new GetPolicyCommand({ FunctionName: 'svc-dev-api', Qualifier: 'live' }));
    const statements = JSON.parse(Policy ?? '{}').Statement as Array<Record<string, unknown> & { Sid: string }>;
    return Object.fromEntries(statements.map((s) => [s.Sid, s]));
  }

  describe('Custom::TrafficShiftExistingBucket', () => {
    const TYPE = 'Custom::TrafficShiftExistingBucket';
    const queue = { Id: 'to-queue', QueueArn: QUEUE, Events: ['s3:ObjectRemoved:*' as const] };
    const worker = {
      Id: 'svc-dev-worker-abc',
      LambdaFunctionArn: WORKER,
      Events: ['s3:ObjectCreated:*' as const],
      Filter: { Key: { FilterRules: [{ Name: 'suffix' as const, Value: '.csv' }] } },
    };
    // What the framework's Custom::S3 wrote for svc-dev-api before the plugin took over.
    const framework = {
      Id: 'svc-dev-api-0cc175b9c0f1b6a831c399e269772661',
      LambdaFunctionArn: FN,
      Events: ['s3:ObjectCreated:*' as const],
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

    beforeAll(async () => {
      for (const Bucket of ['svc-dev-uploads', 'svc-dev-archive']) await s3.send(new CreateBucketCommand({ Bucket }));
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: 'svc-dev-uploads',
          NotificationConfiguration: {
            QueueConfigurations: [queue],
            LambdaFunctionConfigurations: [worker, framework],
          },
        }),
      );
    });

    it('create: the alias replaces the framework entry, the queue and the other function stay, the alias is granted', async () => {
      const response = await request(TYPE, 'Create', { BucketName: 'svc-dev-uploads', BucketConfigs: configs });
      expect(response).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: `traffic-shift:svc-dev-uploads:${ALIAS}`,
      });
      const current = await notifications('svc-dev-uploads');
      expect(current.QueueConfigurations).toEqual([
        expect.objectContaining({ Id: 'to-queue', QueueArn: QUEUE, Events: ['s3:ObjectRemoved:*'] }),
      ]);
      expect(await lambdaTargets('svc-dev-uploads')).toEqual([
        { arn: WORKER, events: ['s3:ObjectCreated:*'], rules: [{ Name: 'suffix', Value: '.csv' }], own: false },
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
      expect((await aliasPolicy())[sid]).toMatchObject({
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'lambda:InvokeFunction',
        Resource: ALIAS,
        Condition: {
          ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::svc-dev-uploads' },
          StringEquals: { 'AWS:SourceAccount': ACCOUNT },
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
        { arn: WORKER, events: ['s3:ObjectCreated:*'], rules: [{ Name: 'suffix', Value: '.csv' }], own: false },
      ]);
      expect((await notifications('svc-dev-uploads')).QueueConfigurations).toHaveLength(1);
      expect((await aliasPolicy())[resource.statementId('s3', 'svc-dev-archive')]).toMatchObject({
        Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::svc-dev-archive' } },
      });
    });

    it('delete: the bucket keeps nothing of the alias; a second delete and a delete of a missing bucket succeed', async () => {
      const props = { BucketName: 'svc-dev-archive', BucketConfigs: configs.slice(0, 1) };
      const physicalId = `traffic-shift:svc-dev-archive:${ALIAS}`;
      expect(await request(TYPE, 'Delete', props, { PhysicalResourceId: physicalId })).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: physicalId,
      });
      expect(await lambdaTargets('svc-dev-archive')).toEqual([]);
      expect((await request(TYPE, 'Delete', props, { PhysicalResourceId: physicalId })).Status).toBe('SUCCESS');
      expect(
        await request(TYPE, 'Delete', { ...props, BucketName: 'svc-dev-gone' }, { PhysicalResourceId: 'p' }),
      ).toMatchObject({
        Status: 'SUCCESS',
        Reason: 'bucket svc-dev-gone no longer exists',
      });
    });

    it('create on a missing bucket: FAILED, naming the bucket', async () => {
      const response = await request(TYPE, 'Create', { BucketName: 'svc-dev-gone', BucketConfigs: configs });
      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toMatch(
        /^Create of ApiCustomTrafficShift \(Custom::TrafficShiftExistingBucket\) failed while reading the notification configuration of bucket svc-dev-gone: NoSuchBucket: /,
      );
    });
  });

  describe('Custom::TrafficShiftExistingUserPool', () => {
    const TYPE = 'Custom::TrafficShiftExistingUserPool';
    const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    let poolId: string;
    let before: UserPoolType;

    const describePool = async () =>
      (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!;
    /** The settings a trigger change must leave as they were. */
    const settings = (pool: UserPoolType) => ({
      Policies: pool.Policies,
      AdminCreateUserConfig: pool.AdminCreateUserConfig,
      AutoVerifiedAttributes: pool.AutoVerifiedAttributes,
      EmailVerificationSubject: pool.EmailVerificationSubject,
      MfaConfiguration: pool.MfaConfiguration,
      UserPoolTags: pool.UserPoolTags,
      DeletionProtection: pool.DeletionProtection,
      AccountRecoverySetting: pool.AccountRecoverySetting,
    });

    beforeAll(async () => {
      const created = await cognito.send(
        new CreateUserPoolCommand({
          PoolName: 'svc-dev-users',
          Policies: {
            PasswordPolicy: {
              MinimumLength: 12,
              RequireSymbols: false,
              RequireUppercase: true,
              RequireLowercase: true,
              RequireNumbers: true,
              TemporaryPasswordValidityDays: 3,
            },
          },
          AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
          AutoVerifiedAttributes: ['email'],
          EmailVerificationSubject: 'Your code',
          MfaConfiguration: 'OFF',
          UserPoolTags: { team: 'identity' },
          DeletionProtection: 'ACTIVE',
          AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
          // svc-dev-worker's trigger, and the one the framework's Custom::CognitoUserPool wrote for svc-dev-api.
          LambdaConfig: { PreSignUp: WORKER, PostConfirmation: FN },
        }),
      );
      poolId = created.UserPool!.Id!;
      before = await describePool();
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
      const pool = await describePool();
      expect(pool.LambdaConfig).toEqual({
        PreSignUp: WORKER,
        PostConfirmation: ALIAS,
        CustomSMSSender: { LambdaArn: ALIAS, LambdaVersion: 'V1_0' },
        KMSKeyID: KEY,
      });
      expect(settings(pool)).toEqual(settings(before));
      expect(pool.Policies?.PasswordPolicy).toMatchObject({
        MinimumLength: 12,
        RequireSymbols: false,
        TemporaryPasswordValidityDays: 3,
      });
      expect((await aliasPolicy())[resource.statementId('cognito', 'svc-dev-users')]).toMatchObject({
        Principal: { Service: 'cognito-idp.amazonaws.com' },
        Resource: ALIAS,
        Condition: { ArnLike: { 'AWS:SourceArn': `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${poolId}` } },
      });
    });

    it('update: a trigger dropped from the settings goes, with the KMS key', async () => {
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
      const pool = await describePool();
      expect(pool.LambdaConfig).toEqual({ PreSignUp: WORKER, PreAuthentication: ALIAS });
      expect(settings(pool)).toEqual(settings(before));
    });

    it('delete: only the other function trigger is left, the settings stay', async () => {
      const response = await request(
        TYPE,
        'Delete',
        { UserPoolName: 'svc-dev-users', UserPoolConfigs: [{ Trigger: 'PreAuthentication' }] },
        { PhysicalResourceId: `traffic-shift:svc-dev-users:${ALIAS}` },
      );
      expect(response).toMatchObject({
        Status: 'SUCCESS',
        Reason: `removed the triggers of ${ALIAS} from user pool svc-dev-users`,
      });
      const pool = await describePool();
      expect(pool.LambdaConfig).toEqual({ PreSignUp: WORKER });
      expect(settings(pool)).toEqual(settings(before));
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
  });
});
