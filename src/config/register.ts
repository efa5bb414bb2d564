/**
 * The settings registered with the framework when the plugin is constructed: the keys of `custom.deploymentSettings`
 * and `functions.<name>.deploymentSettings` (schema.ts `forFramework`). Another plugin that reads the same keys —
 * serverless-plugin-canary-deployments, or this plugin listed twice — would make the framework say only that the
 * property "already has a definition"; the plugin says which plugins collide instead.
 */
import { ServerlessError } from '../errors';
import type { Serverless } from '../framework';
import { forFramework, functionSettingsSchema, serviceSettingsSchema } from './schema';

/** serverless-plugin-canary-deployments, and its forks published under a scope. */
const CANARY_PLUGIN = /(^|[/\\])(@[^/\\]+[/\\])?serverless-plugin-canary-deployments([/\\].*)?$/;
/** The class names the framework's plugin list holds for this plugin and for serverless-plugin-canary-deployments. */
const THIS_CLASS = 'TrafficShiftPlugin';
const CANARY_CLASS = 'ServerlessCanaryDeployments';
const MIGRATION =
  'serverless-traffic-shift replaces it: remove it from plugins (see "Migrating from serverless-plugin-canary-deployments", docs/migrating.md)';

export function registerSettings(serverless: Serverless): void {
  const handler = serverless.configSchemaHandler;
  const canary = listedPlugins(serverless).find((name) => CANARY_PLUGIN.test(name));
  if (canary !== undefined) throw canaryConflict(canary);
  if (!handler) return;
  try {
    handler.defineCustomProperties({ properties: { deploymentSettings: forFramework(serviceSettingsSchema) } });
    handler.defineFunctionProperties('aws', {
      properties: { deploymentSettings: forFramework(functionSettingsSchema) },
    });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'SCHEMA_COLLISION') throw error;
    const loaded = (serverless.pluginManager.plugins ?? []).map(
      (plugin) => (plugin as { constructor?: { name?: string } } | null)?.constructor?.name,
    );
    if (loaded.includes(THIS_CLASS)) {
      throw new ServerlessError(
        'serverless-traffic-shift is listed twice in plugins (perhaps under two names or paths): each copy would add its own aliases and deployment groups. Keep one.',
        'TRAFFIC_SHIFT_PLUGIN_CONFLICT',
      );
    }
    if (loaded.includes(CANARY_CLASS)) throw canaryConflict('serverless-plugin-canary-deployments');
    throw new ServerlessError(
      `Another plugin in plugins already defines deploymentSettings, which serverless-traffic-shift reads (the framework says: ${(error as Error).message}). ` +
        'Two plugins cannot both shift the same functions: keep one.',
      'TRAFFIC_SHIFT_PLUGIN_CONFLICT',
    );
  }
}

function canaryConflict(name: string): ServerlessError {
  return new ServerlessError(
    `${name} and serverless-traffic-shift are both in plugins: both read custom.deploymentSettings and functions.<name>.deploymentSettings, ` +
      `and each would add its own aliases and deployment groups to every function. ${MIGRATION}.`,
    'TRAFFIC_SHIFT_PLUGIN_CONFLICT',
  );
}

/** `plugins:` as written: a list of names, or `{ modules: [...] }`. */
function listedPlugins(serverless: Serverless): string[] {
  const plugins = serverless.service?.plugins;
  const modules = Array.isArray(plugins) ? plugins : (plugins as { modules?: unknown } | undefined)?.modules;
  return Array.isArray(modules) ? modules.filter((name): name is string => typeof name === 'string') : [];
}
