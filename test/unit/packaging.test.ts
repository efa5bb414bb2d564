/**
 * The package-time part of the plugin, on a stand-in of the framework: what it reads of the service before the
 * functions compile (the stack's region, and its account during `sls deploy` only), and what it asks of the framework.
 */
import type { FunctionObject, PluginInput, Serverless } from '../../src/framework';
import { Packaging } from '../../src/packaging';

function framework(commands: string[], functions: Record<string, FunctionObject>, accountId = '123456789012') {
  const asked: string[] = [];
  const serverless = {
    processedInput: { commands },
    service: {
      custom: {},
      provider: { compiledCloudFormationTemplate: { Resources: {} } },
      getAllFunctions: () => Object.keys(functions),
      getFunction: (name: string) => functions[name] as FunctionObject,
    },
    getProvider: () => ({
      getStage: () => 'dev',
      getRegion: () => 'us-east-1',
      getAccountId: async () => {
        asked.push('getAccountId');
        return accountId;
      },
      naming: {
        getStackName: () => 'svc-dev',
        getLambdaLogicalId: (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`,
        getNormalizedFunctionName: (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}`,
      },
    }),
    pluginManager: { plugins: [], spawn: async () => undefined },
  } as unknown as Serverless;
  const input: PluginInput = { serverless, options: {}, settings: () => ({ stage: 'dev', functions: [] }) };
  return { packaging: new Packaging(input, {}), asked };
}

const withHook = (hook: string): Record<string, FunctionObject> => ({
  api: {
    name: 'svc-dev-api',
    events: [{ httpApi: 'GET /' }],
    deploymentSettings: { type: 'AllAtOnce', preTrafficHook: hook },
  },
});

describe('prepareFunctions', () => {
  it('compares a hook ARN with the deploying account during sls deploy', async () => {
    const { packaging, asked } = framework(
      ['deploy'],
      withHook('arn:aws:lambda:us-east-1:210987654321:function:checks'),
    );
    await expect(packaging.prepareFunctions()).rejects.toThrow(
      "Invalid deployment setting: functions.api.deploymentSettings.preTrafficHook names a function in account 210987654321, not the stack's 123456789012:",
    );
    expect(asked).toEqual(['getAccountId']);
  });

  it('asks AWS nothing during sls package, so compares the region only', async () => {
    const { packaging, asked } = framework(
      ['package'],
      withHook('arn:aws:lambda:us-east-1:210987654321:function:checks'),
    );
    await packaging.prepareFunctions();
    expect(asked).toEqual([]);
    expect(packaging.settings?.functions[0]).toMatchObject({ kind: 'shifted', name: 'api' });
    const elsewhere = framework(['package'], withHook('arn:aws:lambda:eu-west-1:210987654321:function:checks'));
    await expect(elsewhere.packaging.prepareFunctions()).rejects.toThrow(
      "names a function in region eu-west-1, not the stack's us-east-1:",
    );
  });

  it('sets the alias the framework wires events to, and keeps a hook of the service unversioned', async () => {
    const functions: Record<string, FunctionObject> = {
      ...withHook('check'),
      check: { name: 'svc-dev-check' },
    };
    const { packaging } = framework(['deploy'], functions);
    await packaging.prepareFunctions();
    expect(functions.api).toMatchObject({
      versionFunction: true,
      targetAlias: { name: 'live', logicalId: 'ApiTrafficShiftAlias' },
    });
    expect(functions.check?.versionFunction).toBe(false);
  });
});
