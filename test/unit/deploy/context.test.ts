/** What the deploy-time features take from the framework: credentials, region, stage, stack name, options. */
import { frameworkContext } from '../../../src/deploy/context';
import type { Serverless } from '../../../src/framework';
import { settings } from './test-context';

function fakeServerless(
  over: { credentials?: unknown; v4Credentials?: Record<string, string>; region?: string; stage?: string } = {},
): {
  calls: string[];
  serverless: Serverless;
} {
  const calls: string[] = [];
  return {
    calls,
    serverless: {
      pluginManager: { spawn: async () => undefined },
      service: {
        getAllFunctions: () => ['api', 'worker', 'nightly', 'check'],
        getFunction: (name: string) => ({ name: `svc-${over.stage ?? 'dev'}-${name}` }),
        provider: { compiledCloudFormationTemplate: { Resources: {} }, shouldNotDeploy: true },
      },
      getProvider: () => ({
        getStage: () => over.stage ?? 'dev',
        getRegion: () => over.region ?? 'us-east-1',
        getCredentials: () => {
          calls.push('getCredentials');
          // v4: a promise of flat credentials; v3: { credentials } (SDK v2), synchronously.
          if (over.v4Credentials) return Promise.resolve(over.v4Credentials);
          return over.credentials === undefined ? {} : { credentials: over.credentials };
        },
        naming: {
          getStackName: () => `svc-${over.stage ?? 'dev'}`,
          getLambdaLogicalId: (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`,
          getNormalizedFunctionName: (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}`,
        },
      }),
    },
  };
}

describe('frameworkContext', () => {
  it('uses the stage, region and stack the framework resolved, and puts them in the suggested commands', async () => {
    const { serverless } = fakeServerless({ stage: 'prod', region: 'eu-west-1' });
    const ctx = frameworkContext({
      serverless,
      options: { function: 'api', weight: 20, 'function-version': 4, json: true, 'aws-profile': 'ops' },
      settings: () => settings,
    });
    expect([ctx.stage, ctx.region, ctx.stackName, ctx.cliSuffix]).toEqual([
      'prod',
      'eu-west-1',
      'svc-prod',
      ' --stage prod --region eu-west-1 --aws-profile ops',
    ]);
    expect(ctx.options).toEqual({ function: 'api', weight: '20', functionVersion: '4', json: true });
    expect(ctx.functions().map((f) => f.deployedName)).toEqual(['svc-prod-api', 'svc-prod-worker', 'svc-prod-nightly']);
    expect(ctx.deploySkipped()).toBe(true);
    expect(await ctx.clients.lambda.config.region()).toBe('eu-west-1');
  });

  it('resolves credentials only when a client is first needed', async () => {
    const { serverless, calls } = fakeServerless({ credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } });
    const ctx = frameworkContext({ serverless, options: {}, settings: () => settings });
    expect(calls).toEqual([]);
    const provider = ctx.clients.codeDeploy.config.credentials;
    void ctx.clients.lambda;
    expect(calls).toEqual(['getCredentials']);
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKID', secretAccessKey: 's' });
  });

  it('v4: the clients use the credentials the framework resolves asynchronously, not the default chain', async () => {
    const { serverless, calls } = fakeServerless({
      v4Credentials: { accessKeyId: 'AKIADASHBOARD', secretAccessKey: 's', accountId: '210987654321' },
    });
    const ctx = frameworkContext({ serverless, options: {}, settings: () => settings });
    expect(calls).toEqual([]);
    const provider = ctx.clients.lambda.config.credentials;
    expect(calls).toEqual(['getCredentials']);
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKIADASHBOARD', accountId: '210987654321' });
  });
});
