/**
 * Deploy-time features, as the plugin class registers them: the `traffic` subcommands next to `plan`, and the hooks
 * that watch and guard `sls deploy`. The plugin class only spreads these in; everything happens behind them, in
 * modules loaded on first use.
 */
import type { PluginInput } from '../framework';
import type { TrafficContext } from './context';

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
      // Not `--version`: serverless 3 handles that global flag (it prints its own version) before plugins run.
      'to-version': {
        usage: 'The published version to give the share to, e.g. 7 (default: the latest published version)',
        type: 'string',
      },
    },
  },
  promote: {
    usage: 'Move all traffic of a weighted alias to its new version and remove the weight',
    lifecycleEvents: ['promote'],
    options: functionOption('The function whose alias to promote', true),
  },
};

/** The framework's lifecycle events the deploy-time features hook into (see deploy-lifecycle.ts). */
const DEPLOY_EVENTS = [
  'before:deploy:deploy',
  'before:aws:deploy:deploy:updateStack',
  'after:aws:deploy:deploy:updateStack',
  'after:deploy:function:deploy',
  'after:rollback:function:rollback',
] as const;

type Hook = (error?: unknown) => Promise<void>;

/**
 * The hooks of the deploy-time features. Their modules (and the AWS SDK clients they use) are loaded when one of them
 * first runs, so a command that neither deploys nor runs a traffic command (`sls offline`, `sls invoke local`,
 * `sls package`) never loads them.
 */
export function trafficHooks(input: PluginInput): Record<string, Hook> {
  let loaded: Record<string, Hook> | undefined;
  const load = (): Record<string, Hook> => {
    if (!loaded) {
      const { frameworkContext } = require('./context') as typeof import('./context');
      const { deployHooks } = require('./deploy-lifecycle') as typeof import('./deploy-lifecycle');
      const commands = require('./traffic-commands') as typeof import('./traffic-commands');
      let context: TrafficContext | undefined;
      const ctx = (): TrafficContext => (context ??= frameworkContext(input));
      loaded = {
        ...deployHooks(ctx),
        'traffic:status:status': () => commands.runCommand(ctx(), commands.statusCommand),
        'traffic:watch:watch': () => commands.runCommand(ctx(), commands.watchCommand),
        'traffic:rollback:rollback': () => commands.runCommand(ctx(), commands.rollbackCommand),
        'traffic:shift:shift': () => commands.runCommand(ctx(), commands.shiftCommand),
        'traffic:promote:promote': () => commands.runCommand(ctx(), commands.promoteCommand),
      };
    }
    return loaded;
  };
  const run =
    (event: string): Hook =>
    (error) =>
      (load()[event] as Hook)(error);
  const events = [...DEPLOY_EVENTS, ...Object.keys(trafficCommands).map((name) => `traffic:${name}:${name}`)];
  return {
    ...Object.fromEntries(events.map((event) => [event, run(event)])),
    // Runs for any failed command: only a deploy whose view was started has something to add, and that deploy has
    // loaded the modules already.
    error: async (error) => (loaded ? (loaded.error as Hook)(error) : undefined),
  };
}

export type { TrafficContext } from './context';
