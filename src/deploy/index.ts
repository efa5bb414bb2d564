/**
 * Deploy-time features, as the plugin class registers them: the `traffic` subcommands next to `plan`, and the hooks
 * that watch and guard `sls deploy`. The plugin class only spreads these in; everything happens behind them.
 */
import type { ResolvedSettings } from '../config/resolve';
import type { FrameworkUtils } from '../log';
import { promoteCommand, rollbackCommand, shiftCommand, statusCommand, watchCommand } from './traffic-commands';
import { frameworkContext, type TrafficContext } from './framework';
import { deployHooks } from './deploy-lifecycle';

const functionOption = (usage: string, required = false) => ({
  function: { usage, shortcut: 'f', type: 'string', ...(required && { required }) },
});

/** `serverless traffic <command>`; --stage, --region and --aws-profile come with every command of an AWS service. */
export const trafficCommands = {
  status: {
    usage:
      'Show each shifted function: its alias, the versions it serves with weights, the last rollout, and whether one is in progress',
    lifecycleEvents: ['status'],
    options: {
      ...functionOption('Only this function'),
      json: { usage: 'Print the status as JSON on standard output, for scripts', type: 'boolean' },
    },
  },
  watch: {
    usage: 'Follow a rollout in progress (e.g. started by a deploy on another machine) until it ends',
    lifecycleEvents: ['watch'],
    options: functionOption('Only this function'),
  },
  rollback: {
    usage:
      'Stop the rollout in progress and roll it back; with no rollout in progress, remove a weight set by "traffic shift"',
    lifecycleEvents: ['rollback'],
    options: functionOption('Only this function (default: every shifted function)'),
  },
  shift: {
    usage: 'Give a share of the alias traffic to a new version by hand (a weighted alias)',
    lifecycleEvents: ['shift'],
    options: {
      ...functionOption('The function whose alias to weight', true),
      weight: { usage: 'Percentage of traffic for the new version, e.g. 10', type: 'string', required: true },
      version: { usage: 'The version to give the share to (default: the latest published version)', type: 'string' },
    },
  },
  promote: {
    usage: 'Move all traffic of a weighted alias to its new version and remove the weight',
    lifecycleEvents: ['promote'],
    options: functionOption('The function whose alias to promote', true),
  },
};

export interface TrafficPluginInput {
  serverless: unknown;
  options: Record<string, unknown>;
  utils?: FrameworkUtils;
  /** The plugin's resolved settings (resolved on demand for commands that do not package). */
  settings: () => ResolvedSettings;
}

export function trafficHooks(input: TrafficPluginInput): Record<string, (error?: unknown) => Promise<void>> {
  let context: TrafficContext | undefined;
  const ctx = (): TrafficContext => (context ??= frameworkContext(input));
  return {
    ...deployHooks(ctx),
    'traffic:status:status': () => statusCommand(ctx()),
    'traffic:watch:watch': () => watchCommand(ctx()),
    'traffic:rollback:rollback': () => rollbackCommand(ctx()),
    'traffic:shift:shift': () => shiftCommand(ctx()),
    'traffic:promote:promote': () => promoteCommand(ctx()),
  };
}

export type { TrafficContext } from './framework';
