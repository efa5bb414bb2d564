/**
 * serverless-traffic-shift: the plugin entry. It registers the settings' keys (config/register.ts) and the `traffic`
 * commands, and binds the framework's lifecycle events to the parts that do the work: packaging.ts (settings and
 * template, at package time) and deploy/ (the deploy's checks and live view, the traffic commands). Those are loaded
 * when an event of theirs first runs, so a command that uses neither (`sls offline`, `sls invoke local`) pays only
 * for this file and the settings' keys.
 */
import { registerSettings } from './config/register';
import { trafficCommands, trafficHooks } from './deploy';
import type { PluginInput, Serverless } from './framework';
import { createLogger, type FrameworkUtils } from './log';
import type { Packaging } from './packaging';

class TrafficShiftPlugin {
  readonly hooks: Record<string, (error?: unknown) => void | Promise<void>>;
  readonly commands = {
    traffic: {
      usage: 'Traffic shifting of Lambda aliases (serverless-traffic-shift)',
      commands: {
        plan: {
          usage:
            'Package the service and show, per function, how its next deploy shifts traffic (no AWS calls; Serverless Framework v4 looks up the deployment bucket when it has credentials)',
          lifecycleEvents: ['plan'],
          options: {
            json: { usage: 'Print the plan as JSON on standard output, for scripts', type: 'boolean' },
          },
        },
        ...trafficCommands,
      },
    },
  };
  private packagingPart?: Packaging;
  private fullPlan = false;

  constructor(
    serverless: Serverless,
    private readonly options: Record<string, unknown>,
    private readonly utils?: FrameworkUtils,
  ) {
    registerSettings(serverless);
    const input: PluginInput = { serverless, options, utils, settings: () => this.packaging(input).resolvedSettings() };
    this.hooks = {
      'before:package:compileFunctions': () => this.packaging(input).prepareFunctions(),
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.packaging(input).transformTemplate(),
      'after:package:finalize': () => this.packagingPart?.reportSummary(this.fullPlan),
      'traffic:plan:plan': () => this.showPlan(input),
      ...trafficHooks(input),
    };
  }

  private packaging(input: PluginInput): Packaging {
    if (!this.packagingPart) {
      const { Packaging } = require('./packaging') as typeof import('./packaging');
      this.packagingPart = new Packaging(input, this);
    }
    return this.packagingPart;
  }

  private async showPlan(input: PluginInput): Promise<void> {
    this.fullPlan = true;
    const { packageForPlan } = require('./package-for-plan') as typeof import('./package-for-plan');
    await packageForPlan(input.serverless, createLogger(this.utils));
    const plan = this.packagingPart?.plan;
    if (!plan) return;
    const { renderPlan } = require('./plan/plan-text') as typeof import('./plan/plan-text');
    createLogger(this.utils).writeText(this.options.json === true ? JSON.stringify(plan, null, 2) : renderPlan(plan));
  }
}

export = TrafficShiftPlugin;
