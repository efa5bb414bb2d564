/**
 * `traffic status`, `shift`, `promote` and `rollback` of a hand weight, and the deploy's refusal while an alias is
 * weighted by hand, against a real moto_server (a local AWS emulator that models Lambda versions and aliases with
 * routing weights). The test starts moto_server on 127.0.0.1 with a free port and stops it at the end; without
 * moto_server on PATH the suite is skipped, and says so.
 *
 * moto's CloudFormation creates the functions and versions but not Lambda aliases nor CodeDeploy resources, so the
 * aliases are created through the Lambda API and no deployment group is found: these tests cover the weighted alias,
 * not CodeDeploy progress (the unit tests script that).
 *
 * The last tests run the real CLI (`serverless traffic status`, dist/ must be built) with AWS_ENDPOINT_URL pointing
 * the SDK v3 clients at moto: credentials from the environment and from `--aws-profile`, and `--region`.
 */
import { ServerlessError } from '../../src/errors';
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateAliasCommand,
  GetAliasCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { resolveSettings } from '../../src/config/resolve';
import { createClients } from '../../src/deploy/aws';
import { promoteCommand, rollbackCommand, shiftCommand, statusCommand } from '../../src/deploy/traffic-commands';
import { serviceFunctions } from '../../src/deploy/stack-discovery';

import type { CommandOptions, TrafficContext } from '../../src/deploy/context';
import { deployHooks } from '../../src/deploy/deploy-lifecycle';
import { systemClock } from '../../src/deploy/clock';
import { service } from '../support/service';
import { describeWithMoto, MOTO_CREDENTIALS, startMoto, type MotoServer } from './moto-server';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CREDENTIALS = MOTO_CREDENTIALS;

const describeMoto = describeWithMoto('test/integration/moto.test.ts');

const settings = resolveSettings(
  service(
    { api: { type: 'Canary10Percent5Minutes' }, worker: { type: 'Linear10PercentEvery1Minute' } },
    { stage: 'dev' },
  ),
);

/** The stack a deploy of `svc` in stage dev leaves, as far as moto models it: functions with version 1; api also has version 2. */
async function seed(endpoint: string): Promise<void> {
  const config = { endpoint, region: 'us-east-1', credentials: CREDENTIALS };
  const cfn = new CloudFormationClient(config);
  const fn = (name: string) => ({
    Type: 'AWS::Lambda::Function',
    Properties: {
      FunctionName: `svc-dev-${name}`,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] },
      Code: { ZipFile: 'exports.handler = async () => ({ statusCode: 200 });' },
    },
  });
  await cfn.send(
    new CreateStackCommand({
      StackName: 'svc-dev',
      TemplateBody: JSON.stringify({
        Resources: {
          IamRoleLambdaExecution: {
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
          ApiLambdaFunction: fn('api'),
          ApiLambdaVersionAbc: {
            Type: 'AWS::Lambda::Version',
            Properties: { FunctionName: { Ref: 'ApiLambdaFunction' } },
          },
          WorkerLambdaFunction: fn('worker'),
          WorkerLambdaVersionAbc: {
            Type: 'AWS::Lambda::Version',
            Properties: { FunctionName: { Ref: 'WorkerLambdaFunction' } },
          },
        },
      }),
    }),
  );
  const lambda = new LambdaClient(config);
  await lambda.send(
    new UpdateFunctionCodeCommand({
      FunctionName: 'svc-dev-api',
      ZipFile: Buffer.from('PK\x05\x06' + '\0'.repeat(18), 'binary'),
    }),
  );
  const { Version } = await lambda.send(new PublishVersionCommand({ FunctionName: 'svc-dev-api' }));
  expect(Version).toBe('2');
  for (const name of ['api', 'worker']) {
    await lambda.send(new CreateAliasCommand({ FunctionName: `svc-dev-${name}`, Name: 'live', FunctionVersion: '1' }));
  }
}

describeMoto('traffic commands against moto_server', () => {
  let moto: MotoServer;
  let endpoint: string;
  let lambda: LambdaClient;

  beforeAll(async () => {
    moto = await startMoto();
    endpoint = moto.endpoint;
    await seed(endpoint);
    lambda = new LambdaClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  }, 60000);

  afterAll(async () => {
    await moto?.stop();
  });

  function context(options: CommandOptions = {}): { ctx: TrafficContext; text: string[] } {
    const text: string[] = [];
    const ctx: TrafficContext = {
      stage: 'dev',
      region: 'us-east-1',
      stackName: 'svc-dev',
      clients: createClients({ region: 'us-east-1', credentials: CREDENTIALS, endpoint }),
      functions: () => serviceFunctions(settings, (name) => `svc-dev-${name}`),
      template: () => undefined,
      deploySkipped: () => false,
      changeSetEmpty: () => false,
      options,
      cliSuffix: ' --stage dev --region us-east-1',
      logger: {
        notice: () => undefined,
        info: () => undefined,
        warning: () => undefined,
        error: () => undefined,
        writeText: (t) => text.push(t),
      },
      interactive: false,
      clock: systemClock,
    };
    return { ctx, text };
  }

  const alias = async (name: string) => {
    const a = await lambda.send(new GetAliasCommand({ FunctionName: `svc-dev-${name}`, Name: 'live' }));
    return { version: a.FunctionVersion, weights: a.RoutingConfig?.AdditionalVersionWeights ?? {} };
  };

  it('status: each alias and the version it serves', async () => {
    const { ctx, text } = context();
    await statusCommand(ctx);
    expect(text.join('\n')).toBe(
      [
        'Traffic status of stage "dev" (stack svc-dev, us-east-1)',
        '',
        'api',
        '  alias         live → version 1 (100%)',
        '  strategy      Canary10Percent5Minutes',
        '  last rollout  none: the deployment group is not deployed yet',
        '  in progress   no',
        '',
        'worker',
        '  alias         live → version 1 (100%)',
        '  strategy      Linear10PercentEvery1Minute',
        '  last rollout  none: the deployment group is not deployed yet',
        '  in progress   no',
      ].join('\n'),
    );
  });

  it('shift: 20% to the latest published version, the rest on the current one', async () => {
    const { ctx, text } = context({ function: 'api', weight: '20' });
    await shiftCommand(ctx);
    expect(await alias('api')).toEqual({ version: '1', weights: { '2': 0.2 } });
    expect(text[0]?.split('\n')[0]).toBe(
      'api: alias "live" serves version 1 (80%), version 2 (20%) (was version 1 (100%)).',
    );
  });

  it('sls deploy refuses to start while the weight is there, and says how to finish or undo it', async () => {
    const { ctx } = context();
    const error = await deployHooks(() => ctx)['before:deploy:deploy']!().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerlessError);
    expect((error as Error).message).toContain(
      '  - api: alias "live" serves version 1 (80%), version 2 (20%)\n      finish it: serverless traffic promote --function api',
    );
  });

  it('status shows the weights and what to do about them', async () => {
    const { ctx, text } = context({ function: 'api' });
    await statusCommand(ctx);
    expect(text.join('\n')).toContain(
      '  alias         live → version 1 (80%), version 2 (20%)\n' +
        '  strategy      Canary10Percent5Minutes\n' +
        '  last rollout  none: the deployment group is not deployed yet\n' +
        '  in progress   no, but the alias is weighted by hand (sls deploy refuses to run until this is resolved)',
    );
  });

  it('promote: all traffic to version 2, no weight left', async () => {
    const { ctx, text } = context({ function: 'api' });
    await promoteCommand(ctx);
    expect(await alias('api')).toEqual({ version: '2', weights: {} });
    expect(text[0]?.split('\n')[0]).toBe(
      'api: alias "live" serves version 2 (100%) (was version 1 (80%), version 2 (20%)).',
    );
  });

  it('rollback with no rollout in progress removes the weight and keeps the main version', async () => {
    await shiftCommand(context({ function: 'api', weight: '10', toVersion: '1' }).ctx);
    expect(await alias('api')).toEqual({ version: '2', weights: { '1': 0.1 } });
    const { ctx, text } = context({ function: 'api' });
    await rollbackCommand(ctx);
    expect(await alias('api')).toEqual({ version: '2', weights: {} });
    expect(text).toEqual([
      'api: removed the weight set by hand (it was version 2 (90%), version 1 (10%)): alias "live" serves version 2 (100%).',
    ]);
    // Nothing left to roll back: says so and changes nothing.
    const again = context();
    await rollbackCommand(again.ctx);
    expect(again.text[0]).toBe(
      'api: nothing to roll back: no rollout in progress, alias "live" serves version 2 (100%).\n' +
        'worker: nothing to roll back: no rollout in progress, alias "live" serves version 1 (100%).',
    );
  });

  it('shift refuses a version that is not published', async () => {
    await expect(shiftCommand(context({ function: 'worker', weight: '10', toVersion: '5' }).ctx)).rejects.toThrow(
      '--to-version 5: svc-dev-worker has no published version 5; published: 1.',
    );
  });

  describe('the real CLI (serverless 3.40.0)', () => {
    const built = existsSync(path.join(REPO_ROOT, 'dist', 'index.js'));
    const itBuilt = built ? it : it.skip;
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'traffic-moto-'));
      writeFileSync(
        path.join(dir, 'serverless.yml'),
        [
          'service: svc',
          "frameworkVersion: '3'",
          'configValidationMode: error',
          'plugins:',
          `  - ${REPO_ROOT}`,
          'provider:',
          '  name: aws',
          '  runtime: provided.al2023',
          '  region: us-east-1',
          'custom:',
          '  deploymentSettings:',
          '    type: Canary10Percent5Minutes',
          'functions:',
          '  api:',
          '    handler: bootstrap',
          '  worker:',
          '    handler: bootstrap',
          '    deploymentSettings:',
          '      type: Linear10PercentEvery1Minute',
          '',
        ].join('\n'),
      );
      writeFileSync(
        path.join(dir, 'credentials'),
        `[moto]\naws_access_key_id = ${CREDENTIALS.accessKeyId}\naws_secret_access_key = ${CREDENTIALS.secretAccessKey}\n`,
      );
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function sls(
      args: string[],
      env: Record<string, string>,
    ): { status: number | null; output: string; stdout: string } {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
      const result = spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), ...args],
        {
          cwd: dir,
          encoding: 'utf8',
          timeout: 120000,
          env: {
            ...base,
            HOME: dir,
            SLS_TELEMETRY_DISABLED: '1',
            SLS_NOTIFICATIONS_MODE: 'off',
            AWS_ENDPOINT_URL: endpoint,
            ...env,
          },
        },
      );
      return { status: result.status, output: `${result.stdout}\n${result.stderr}`, stdout: result.stdout };
    }

    if (!built)
      console.warn('test/integration/moto.test.ts: the CLI tests are SKIPPED, dist/ is not built (npm run build).');

    itBuilt('traffic status with credentials from the environment', () => {
      const { status, output } = sls(['traffic', 'status', '--stage', 'dev'], {
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      });
      expect(output).toContain('Traffic status of stage "dev" (stack svc-dev, us-east-1)');
      expect(output).toContain('api\n  alias         live → version 2 (100%)');
      expect(status).toBe(0);
    });

    itBuilt('traffic status with --aws-profile, and --region is honoured', () => {
      const profile = { AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials') };
      const ok = sls(['traffic', 'status', '--stage', 'dev', '--aws-profile', 'moto', '--function', 'worker'], profile);
      expect(ok.output).toContain('worker\n  alias         live → version 1 (100%)');
      expect(ok.output).not.toContain('\napi\n');
      expect(ok.status).toBe(0);
      const elsewhere = sls(
        ['traffic', 'status', '--stage', 'dev', '--aws-profile', 'moto', '--region', 'eu-west-1'],
        profile,
      );
      expect(elsewhere.output).toContain('Stack svc-dev does not exist in eu-west-1');
      expect(elsewhere.status).toBe(1);
    });

    itBuilt('traffic status --json: the status alone on stdout, as data', () => {
      const { status, stdout } = sls(['traffic', 'status', '--stage', 'dev', '--json'], {
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      });
      expect(status).toBe(0);
      const parsed = JSON.parse(stdout) as {
        stack: string;
        functions: { name: string; alias: unknown; inProgress: unknown }[];
      };
      expect(parsed.stack).toBe('svc-dev');
      expect(parsed.functions.find((f) => f.name === 'api')).toMatchObject({
        alias: { name: 'live', deployed: true, versions: [{ version: '2', percent: 100 }] },
        inProgress: null,
      });
    });

    itBuilt('traffic shift needs its options', () => {
      const { status, output } = sls(['traffic', 'shift', '--stage', 'dev'], {
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'y',
      });
      expect(output).toContain('Serverless command "traffic shift" requires "--function", "--weight" options.');
      expect(status).toBe(1);
    });
  });
});
