import { registerSettings } from '../../../src/config/register';
import { ServerlessError } from '../../../src/errors';
import type { Serverless } from '../../../src/framework';

/** A framework whose schema handler refuses a second definition of a property, as Serverless v3's does. */
function framework(plugins: unknown, loaded: unknown[] = []) {
  const defined = new Set<string>();
  const define = (where: string) => (schema: { properties: Record<string, unknown> }) => {
    for (const key of Object.keys(schema.properties)) {
      if (defined.has(`${where}.${key}`)) {
        throw Object.assign(new Error(`Property '${where}.${key}' already have a definition`), {
          code: 'SCHEMA_COLLISION',
        });
      }
      defined.add(`${where}.${key}`);
    }
  };
  const serverless = {
    service: { plugins },
    configSchemaHandler: {
      defineCustomProperties: define('custom'),
      defineFunctionProperties: (_provider: string, schema: { properties: Record<string, unknown> }) =>
        define('functions[]')(schema),
    },
    pluginManager: { plugins: loaded, spawn: async () => undefined },
  } as unknown as Serverless;
  return { serverless, defined };
}

function thrown(fn: () => void): ServerlessError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ServerlessError);
    return error as ServerlessError;
  }
  throw new Error('expected an error');
}

const CANARY =
  'serverless-plugin-canary-deployments and serverless-traffic-shift are both in plugins: both read custom.deploymentSettings and functions.<name>.deploymentSettings, ' +
  'and each would add its own aliases and deployment groups to every function. serverless-traffic-shift replaces it: remove it from plugins ' +
  '(see "Migrating from serverless-plugin-canary-deployments", docs/migrating.md). [TRAFFIC_SHIFT_PLUGIN_CONFLICT]';

describe('registerSettings', () => {
  it('registers the keys of both places', () => {
    const { serverless, defined } = framework(['serverless-traffic-shift']);
    registerSettings(serverless);
    expect([...defined]).toEqual(['custom.deploymentSettings', 'functions[].deploymentSettings']);
  });

  it.each([
    [['serverless-plugin-canary-deployments', 'serverless-traffic-shift']],
    [['serverless-traffic-shift', 'serverless-plugin-canary-deployments']],
    [{ modules: ['serverless-traffic-shift', 'serverless-plugin-canary-deployments'] }],
  ])('names serverless-plugin-canary-deployments listed beside it, in either order (%j)', (plugins) => {
    const error = thrown(() => registerSettings(framework(plugins).serverless));
    expect(error.code).toBe('TRAFFIC_SHIFT_PLUGIN_CONFLICT');
    expect(error.message).toBe(CANARY);
  });

  it('names a fork under a scope as it is listed', () => {
    const error = thrown(() =>
      registerSettings(framework(['@flagsmith/serverless-plugin-canary-deployments']).serverless),
    );
    expect(error.message).toMatch(/^@flagsmith\/serverless-plugin-canary-deployments and serverless-traffic-shift/);
  });

  it('says the plugin is listed twice when a copy of it registered first', () => {
    class TrafficShiftPlugin {}
    const { serverless } = framework(
      ['serverless-traffic-shift', '../serverless-traffic-shift'],
      [new TrafficShiftPlugin()],
    );
    registerSettings(serverless);
    expect(thrown(() => registerSettings(serverless)).message).toBe(
      'serverless-traffic-shift is listed twice in plugins (perhaps under two names or paths): each copy would add its own aliases and deployment groups. Keep one. [TRAFFIC_SHIFT_PLUGIN_CONFLICT]',
    );
  });

  it("quotes the framework's words when an unknown plugin took the key", () => {
    const { serverless } = framework(['serverless-other']);
    serverless.configSchemaHandler?.defineCustomProperties({ properties: { deploymentSettings: {} } });
    expect(thrown(() => registerSettings(serverless)).message).toBe(
      "Another plugin in plugins already defines deploymentSettings, which serverless-traffic-shift reads (the framework says: Property 'custom.deploymentSettings' already have a definition). " +
        'Two plugins cannot both shift the same functions: keep one. [TRAFFIC_SHIFT_PLUGIN_CONFLICT]',
    );
  });
});
