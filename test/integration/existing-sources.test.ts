/**
 * One existing bucket and one existing user pool written by three functions, two shifted and one the plugin leaves
 * alone between them (fixture existing-sources/shared), packaged by the real `serverless package`:
 * - the template: cfn-lint finds nothing the same service without the plugin does not (a DependsOn left naming a
 *   replaced resource is E3005), and every writer of the bucket and of the pool waits for the one before it;
 * - the writers run against moto_server (with AWS's behaviour where moto lacks it, moto-as-aws.ts) the way
 *   CloudFormation runs the template: Create, then Update, then Delete, each writer as soon as what it depends on is
 *   done, the plugin's through its handler as shipped (dist/lambda/existing-sources-handler.js) and the framework's through the
 *   framework's own handlers (serverless 3.40.0, node_modules). Writers the template does not order run at once, in
 *   the worst order (all read before any writes); after each step every configuration, trigger and setting that is
 *   not the writer's own must be as it was. The same writers without the template's order lose the framework's
 *   entries, which shows what the order is for.
 */
import type { AddressInfo } from 'net';
import * as http from 'http';
import * as path from 'path';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { AddPermissionCommand, CreateAliasCommand, LambdaClient, PublishVersionCommand } from '@aws-sdk/client-lambda';
import {
  CreateBucketCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  dependsOnTransitively,
  describeWithCfnLint,
  expectTemplate,
  lintAgainstBaselines,
  properties,
  REPO_ROOT,
  spawnBaseline,
  spawnServerless,
  type CfnTemplate,
} from './helpers';

import { describeWithMoto, MOTO_CREDENTIALS, startMoto, type MotoServer } from './moto-server';
import { startMotoAsAws, type MotoAsAws } from './moto-as-aws';

const FIXTURE = 'existing-sources/shared';
const BUCKET = 'es-shared-existing-bucket';
const POOL = 'es-shared-existing-pool';
const BUCKET_WRITERS = ['ThumbnailsCustomS31TrafficShift', 'AuditCustomS31', 'ArchiveCustomS31TrafficShift'];
const POOL_WRITERS = [
  'ThumbnailsCustomCognitoUserPool1TrafficShift',
  'AuditCustomCognitoUserPool1',
  'ArchiveCustomCognitoUserPool1TrafficShift',
];

let template: CfnTemplate;
let baseline: CfnTemplate;

beforeAll(async () => {
  [template, baseline] = await Promise.all([
    spawnServerless(FIXTURE, ['package']).then((written) => expectTemplate(FIXTURE, written)),
    spawnBaseline(FIXTURE),
  ]);
});

describe('the template: one strict order among all writers of the bucket and of the pool', () => {
  it('the framework resources of the shifted functions are replaced; the one of the function left alone stays', () => {
    for (const id of ['ThumbnailsCustomS31', 'ArchiveCustomS31', 'ThumbnailsCustomCognitoUserPool1'])
      expect(template.Resources[id]).toBeUndefined();
    expect(template.Resources.AuditCustomS31?.Type).toBe('Custom::S3');
    expect(template.Resources.AuditCustomCognitoUserPool1?.Type).toBe('Custom::CognitoUserPool');
  });

  it('no DependsOn names a resource the template does not have', () => {
    const dangling = Object.entries(template.Resources).flatMap(([id, r]) =>
      [r.DependsOn ?? []]
        .flat()
        .filter((d) => !(d in template.Resources))
        .map((d) => `${id} → ${d}`),
    );
    expect(dangling).toEqual([]);
  });

  it.each([
    ['bucket', BUCKET_WRITERS],
    ['pool', POOL_WRITERS],
  ])('the %s: each writer waits for the one before it, in the framework’s order', (_kind, writers) => {
    expect(writers.map((id) => template.Resources[id]?.DependsOn)).toEqual([
      undefined,
      [
        'AuditLambdaFunction',
        writers === BUCKET_WRITERS
          ? 'CustomDashresourceDashexistingDashs3LambdaFunction'
          : 'CustomDashresourceDashexistingDashcupLambdaFunction',
        writers[0],
      ],
      [writers[1]],
    ]);
    for (const [i, id] of writers.entries())
      for (const [j, other] of writers.entries())
        expect([id, other, dependsOnTransitively(template, id, other)]).toEqual([id, other, j < i]);
  });
});

describeWithCfnLint('the template: cfn-lint', () => {
  it('finds nothing the same service without the plugin does not', async () => {
    const findings = await lintAgainstBaselines({ shared: { withPlugin: template, baseline } });
    expect(findings.shared).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The writers against moto, as CloudFormation runs them.

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const FRAMEWORK_HANDLERS = path.join(REPO_ROOT, 'node_modules/serverless/lib/plugins/aws/custom-resources/resources');
type FrameworkHandler = (
  event: Record<string, unknown>,
  context: Record<string, unknown>,
  callback: (error?: unknown) => void,
) => Promise<void>;

const ours = require('../../dist/lambda/existing-sources-handler.js') as {
  handler(
    event: Record<string, unknown>,
    context: Record<string, unknown>,
  ): Promise<{ Status: string; Reason: string }>;
};

describeWithMoto('test/integration/existing-sources.test.ts')(
  'the writers against moto_server, as CloudFormation runs the template',
  () => {
    let moto: MotoServer;
    let aws: MotoAsAws;
    let s3: S3Client;
    let cognito: CognitoIdentityProviderClient;
    let server: http.Server;
    let responseUrl: string;
    let poolId: string;
    let settingsBefore: Record<string, unknown>;
    const savedEnv: Record<string, string | undefined> = {};
    const functionName = (fn: string) => `es-shared-dev-${fn}`;
    const functionArn = (fn: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName(fn)}`;
    const FOREIGN = functionArn('other');
    const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:es-shared-queue`;

    beforeAll(async () => {
      moto = await startMoto();
      aws = await startMotoAsAws(moto, { region: REGION, credentials: MOTO_CREDENTIALS });
      const config = { endpoint: aws.endpoint, region: REGION, credentials: MOTO_CREDENTIALS };
      s3 = new S3Client({ ...config, forcePathStyle: true });
      cognito = new CognitoIdentityProviderClient(config);
      const lambda = new LambdaClient(config);
      const env = {
        AWS_ENDPOINT_URL: aws.endpoint,
        AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
        AWS_REGION: REGION,
      };
      for (const [key, value] of Object.entries(env)) {
        savedEnv[key] = process.env[key];
        process.env[key] = value;
      }

      // The service's functions as deployed (with the plugin's alias on the shifted ones), and another service's.
      const fn = (name: string) => ({
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: functionName(name),
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
          Code: { ZipFile: 'exports.handler = async () => ({});' },
        },
      });
      await new CloudFormationClient(config).send(
        new CreateStackCommand({
          StackName: 'es-shared-functions',
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
              Thumbnails: fn('thumbnails'),
              Audit: fn('audit'),
              Archive: fn('archive'),
              Other: fn('other'),
            },
          }),
        }),
      );
      for (const fn of ['thumbnails', 'archive']) {
        const { Version } = await lambda.send(new PublishVersionCommand({ FunctionName: functionName(fn) }));
        await lambda.send(
          new CreateAliasCommand({ FunctionName: functionName(fn), Name: 'live', FunctionVersion: Version }),
        );
      }

      // The bucket as others configured it: a queue, EventBridge, another service's function (granted).
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      await lambda.send(
        new AddPermissionCommand({
          FunctionName: functionName('other'),
          StatementId: 'other-service',
          Action: 'lambda:InvokeFunction',
          Principal: 's3.amazonaws.com',
          SourceArn: `arn:aws:s3:::${BUCKET}`,
        }),
      );
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: BUCKET,
          NotificationConfiguration: {
            QueueConfigurations: [{ Id: 'restores', QueueArn: QUEUE, Events: ['s3:ObjectRestore:*'] }],
            LambdaFunctionConfigurations: [
              {
                Id: 'other-service',
                LambdaFunctionArn: FOREIGN,
                Events: ['s3:ObjectCreated:*'],
                Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'other/' }] } },
              },
            ],
            EventBridgeConfiguration: {},
          },
        }),
      );

      // The pool as others configured it: settings of every kind, another service's trigger.
      const created = await cognito.send(
        new CreateUserPoolCommand({
          PoolName: POOL,
          Policies: { PasswordPolicy: { MinimumLength: 14, RequireSymbols: false, TemporaryPasswordValidityDays: 7 } },
          DeletionProtection: 'ACTIVE',
          AutoVerifiedAttributes: ['email'],
          EmailVerificationSubject: 'Your code',
          MfaConfiguration: 'OPTIONAL',
          UserPoolTags: { team: 'identity' },
          AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
          AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
          UserPoolTier: 'PLUS',
          AcrConfiguration: { Level1: { AcrValue: 'urn:example:acr:bronze' } },
          IssuerConfiguration: { Type: 'UPDATED' },
          LambdaConfig: { PreAuthentication: FOREIGN },
        }),
      );
      poolId = created.UserPool?.Id as string;
      settingsBefore = settings(await describePool());

      server = http.createServer((request, response) => {
        request.resume();
        request.on('end', () => response.end());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    }, 120000);

    afterAll(async () => {
      for (const [key, value] of Object.entries(savedEnv)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      if (server) await new Promise((resolve) => server.close(resolve));
      await aws?.stop();
      await moto?.stop();
    });

    beforeEach(() => {
      jest.spyOn(console, 'log').mockImplementation(() => undefined);
    });

    const describePool = async () =>
      (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!;
    function settings(pool: UserPoolType): Record<string, unknown> {
      const { LambdaConfig: _triggers, LastModifiedDate: _modified, ...rest } = pool;
      return rest;
    }
    const notifications = async () => {
      const { $metadata: _metadata, ...rest } = await s3.send(
        new GetBucketNotificationConfigurationCommand({ Bucket: BUCKET }),
      );
      return rest;
    };

    /** The template's properties of a writer, with the alias Ref resolved as CloudFormation would. */
    function resolved(id: string): Record<string, unknown> {
      const props = { ...properties(template, id) };
      const alias = (props.FunctionArn as { Ref?: string } | undefined)?.Ref;
      if (alias) {
        const fn = properties(template, alias);
        const name = properties(template, (fn.FunctionName as { Ref: string }).Ref).FunctionName as string;
        props.FunctionArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}:${fn.Name as string}`;
      }
      return props;
    }

    /** Sends one request to a writer's handler, the plugin's or the framework's; resolves to its status. */
    async function invoke(
      id: string,
      RequestType: string,
      props: Record<string, unknown>,
      old: Record<string, unknown> | undefined,
    ): Promise<string> {
      const type = template.Resources[id]?.Type as string;
      const event = {
        RequestType,
        ResponseURL: responseUrl,
        StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/es-shared-dev/guid`,
        RequestId: `${id}-${RequestType}`,
        LogicalResourceId: id,
        ResourceType: type,
        PhysicalResourceId: RequestType === 'Create' ? undefined : `${id}-physical`,
        ResourceProperties: props,
        ...(old && { OldResourceProperties: old }),
      };
      if (type.startsWith('Custom::TrafficShift')) {
        const outcome = await ours.handler(event, { getRemainingTimeInMillis: () => 300000, logStreamName: 's' });
        if (outcome.Status !== 'SUCCESS') throw new Error(`${id} ${RequestType}: ${outcome.Reason}`);
        return outcome.Status;
      }
      // The framework's handler answers CloudFormation on port 443 of the ResponseURL's host, which no one serves
      // here; what it answered is in its log.
      const handler = require(
        path.join(FRAMEWORK_HANDLERS, type === 'Custom::S3' ? 's3' : 'cognito-user-pool', 'handler.js'),
      ).handler as FrameworkHandler;
      const log = console.log as jest.Mock;
      const seen = log.mock.calls.length;
      await new Promise<void>((resolve) => {
        void handler(
          { ...event, ResponseURL: 'https://127.0.0.1/cloudformation-response' },
          { invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:es-shared-dev-custom-resource-existing` },
          () => resolve(),
        );
      });
      const answered = log.mock.calls
        .slice(seen)
        .map(([line]) => (typeof line === 'string' && line.startsWith('{') ? JSON.parse(line) : undefined))
        .find((body) => body?.LogicalResourceId === id && body?.Status);
      if (answered?.Status !== 'SUCCESS') throw new Error(`${id} ${RequestType}: ${answered?.Reason ?? 'no answer'}`);
      return answered.Status;
    }

    /**
     * Runs the writers as CloudFormation runs a stack operation: each as soon as the writers it depends on (through any
     * resource of the template) are done, or for a Delete once the writers that depend on it are gone. Writers that start
     * together on one bucket or pool write in the worst order: the service holds their writes until all have read.
     */
    async function operate(
      resources: CfnTemplate,
      writers: string[],
      RequestType: 'Create' | 'Update' | 'Delete',
      propsOf: (id: string) => Record<string, unknown>,
      oldPropsOf?: (id: string) => Record<string, unknown>,
      lastFirst = false,
    ): Promise<string[][]> {
      const waves: string[][] = [];
      const done = new Set<string>();
      const waitsFor = (a: string, b: string) =>
        RequestType === 'Delete' ? dependsOnTransitively(resources, b, a) : dependsOnTransitively(resources, a, b);
      while (done.size < writers.length) {
        const wave = writers.filter(
          (id) => !done.has(id) && writers.every((o) => o === id || done.has(o) || !waitsFor(id, o)),
        );
        waves.push(wave);
        const target = (id: string) => {
          const p = properties(resources, id);
          return p.BucketName !== undefined ? { bucket: String(p.BucketName) } : { pool: poolId };
        };
        const gates = [...new Set(wave.map((id) => JSON.stringify(target(id))))]
          .map((key) => ({ key, count: wave.filter((id) => JSON.stringify(target(id)) === key).length }))
          .filter(({ count }) => count > 1)
          .map(({ key, count }) => aws.interleave(JSON.parse(key), count, { lastFirst }));
        await Promise.all(wave.map((id) => invoke(id, RequestType, propsOf(id), oldPropsOf?.(id))));
        for (const gate of gates) expect(await gate.released).toBe(true);
        for (const id of wave) done.add(id);
      }
      return waves;
    }

    /** The Lambda notifications of the bucket by destination, as `<function>[:alias] <event> <prefix>`. */
    async function bucketEntries(): Promise<string[]> {
      return ((await notifications()).LambdaFunctionConfigurations ?? [])
        .map(
          (c) =>
            `${(c.LambdaFunctionArn ?? '').replace(/^.*:function:es-shared-dev-/, '')} ${c.Events?.join(',')} ${
              c.Filter?.Key?.FilterRules?.map((r) => r.Value).join('') ?? '-'
            }`,
        )
        .sort();
    }
    async function poolTriggers(): Promise<Record<string, unknown>> {
      const config = (await describePool()).LambdaConfig ?? {};
      return Object.fromEntries(
        Object.entries(config).map(([k, v]) => [
          k,
          typeof v === 'string' ? v.replace(/^.*:function:es-shared-dev-/, '') : v,
        ]),
      );
    }
    /** What none of the writers may change: the queue, EventBridge, the other service's entry, the pool's settings. */
    async function expectOthersKept(): Promise<void> {
      const current = await notifications();
      expect(current.QueueConfigurations).toEqual([
        { Id: 'restores', QueueArn: QUEUE, Events: ['s3:ObjectRestore:*'] },
      ]);
      expect(current.EventBridgeConfiguration).toEqual({});
      expect(current.LambdaFunctionConfigurations?.filter((c) => c.LambdaFunctionArn === FOREIGN)).toHaveLength(1);
      const pool = await describePool();
      expect(settings(pool)).toEqual(settingsBefore);
      expect(pool.LambdaConfig?.PreAuthentication).toBe(FOREIGN);
    }

    const writers = [...BUCKET_WRITERS, ...POOL_WRITERS];
    /** The Update: each writer's events and triggers change. */
    function updated(id: string): Record<string, unknown> {
      const props = resolved(id);
      if (props.BucketConfigs)
        return {
          ...props,
          BucketConfigs: (props.BucketConfigs as { Event: string; Rules: Record<string, string>[] }[]).map((c) => ({
            ...c,
            Rules: [...c.Rules, { Suffix: '.json' }],
          })),
        };
      const moved: Record<string, string> = {
        PreSignUp: 'PreTokenGeneration',
        CustomMessage: 'CustomMessage',
        PostConfirmation: 'PostAuthentication',
      };
      return {
        ...props,
        UserPoolConfigs: (props.UserPoolConfigs as { Trigger: string }[]).map((c) => ({
          ...c,
          Trigger: moved[c.Trigger],
        })),
      };
    }

    it('in the template’s order: every writer runs alone; after Create, Update and Delete nothing else changed', async () => {
      const created = await operate(template, writers, 'Create', resolved);
      // One writer of the bucket and one of the pool at a time, in the framework's order.
      expect(created).toEqual([0, 1, 2].map((i) => [BUCKET_WRITERS[i], POOL_WRITERS[i]]));
      expect(await bucketEntries()).toEqual([
        'archive:live s3:ObjectCreated:* archive/',
        'audit s3:ObjectRemoved:* -',
        'other s3:ObjectCreated:* other/',
        'thumbnails:live s3:ObjectCreated:* images/',
      ]);
      expect(await poolTriggers()).toEqual({
        PreAuthentication: 'other',
        PreSignUp: 'thumbnails:live',
        CustomMessage: 'audit',
        PostConfirmation: 'archive:live',
      });
      await expectOthersKept();
      expect(Object.keys(aws.policy(functionName('thumbnails'), 'live'))).toHaveLength(2);
      expect(Object.keys(aws.policy(functionName('audit')))).toHaveLength(2);

      expect(await operate(template, writers, 'Update', updated, resolved)).toHaveLength(3);
      expect(await bucketEntries()).toEqual([
        'archive:live s3:ObjectCreated:* archive/.json',
        'audit s3:ObjectRemoved:* .json',
        'other s3:ObjectCreated:* other/',
        'thumbnails:live s3:ObjectCreated:* images/.json',
      ]);
      expect(await poolTriggers()).toEqual({
        PreAuthentication: 'other',
        PreTokenGeneration: 'thumbnails:live',
        CustomMessage: 'audit',
        PostAuthentication: 'archive:live',
      });
      await expectOthersKept();

      const deleted = await operate(template, writers, 'Delete', updated);
      expect(deleted).toEqual([2, 1, 0].map((i) => [BUCKET_WRITERS[i], POOL_WRITERS[i]]));
      expect(await bucketEntries()).toEqual(['other s3:ObjectCreated:* other/']);
      expect(await poolTriggers()).toEqual({ PreAuthentication: 'other' });
      await expectOthersKept();
      for (const fn of ['thumbnails', 'archive']) expect(aws.policy(functionName(fn), 'live')).toEqual({});
      expect(aws.policy(functionName('audit'))).toEqual({});
    });

    it.each([
      ['first', 'lost', true, false],
      ['last', 'kept', false, true],
    ])(
      'without the template’s order, all reading before any writes, the framework’s writer writing %s: its entries are %s',
      async (_when, _outcome, frameworkFirst, frameworkKept) => {
        const unordered: CfnTemplate = JSON.parse(JSON.stringify(template));
        for (const id of writers) {
          const resource = unordered.Resources[id]!;
          const kept = [resource.DependsOn ?? []].flat().filter((d) => !writers.includes(d));
          if (kept.length > 0) resource.DependsOn = kept;
          else delete resource.DependsOn;
        }
        // Nothing in this template orders the writers: CloudFormation would start all six at once.
        for (const a of writers) for (const b of writers) expect(dependsOnTransitively(unordered, a, b)).toBe(false);

        // The plugin's writers reach their write first; the framework's then read and write too. The writes go through
        // in arrival order (the framework's last) or the reverse (the framework's first).
        const gates = [
          aws.interleave({ bucket: BUCKET }, 3, { lastFirst: frameworkFirst }),
          aws.interleave({ pool: poolId }, 3, { lastFirst: frameworkFirst }),
        ];
        const framework = ['AuditCustomS31', 'AuditCustomCognitoUserPool1'];
        const plugin = writers
          .filter((id) => !framework.includes(id))
          .map((id) => invoke(id, 'Create', resolved(id), undefined));
        while (gates.some((gate) => gate.waiting() < 2)) await new Promise((resolve) => setTimeout(resolve, 20));
        await Promise.all([...plugin, ...framework.map((id) => invoke(id, 'Create', resolved(id), undefined))]);
        for (const gate of gates) expect(await gate.released).toBe(true);

        // The plugin's writers found their change undone when the framework's landed after it, and wrote it again; the
        // framework's handler does not look, so its entries are lost when the plugin's writes land after its own.
        const audit = frameworkKept ? ['audit s3:ObjectRemoved:* -'] : [];
        expect(await bucketEntries()).toEqual([
          'archive:live s3:ObjectCreated:* archive/',
          ...audit,
          'other s3:ObjectCreated:* other/',
          'thumbnails:live s3:ObjectCreated:* images/',
        ]);
        expect(await poolTriggers()).toEqual({
          PreAuthentication: 'other',
          PreSignUp: 'thumbnails:live',
          ...(frameworkKept && { CustomMessage: 'audit' }),
          PostConfirmation: 'archive:live',
        });
        await expectOthersKept();

        // Back to the start, in the template's order.
        await operate(template, writers, 'Delete', resolved);
        expect(await bucketEntries()).toEqual(['other s3:ObjectCreated:* other/']);
        expect(await poolTriggers()).toEqual({ PreAuthentication: 'other' });
      },
    );
  },
);
