/**
 * serverless-traffic-shift: the plugin entry. It registers the settings schema, reads the service from the
 * framework, and hands settings and template to the pure transform. Nothing here builds template resources.
 */
import { resolveSettings, type ResolvedSettings, type ServiceDescription } from './config/resolve';
import { forFramework, functionSettingsSchema, serviceSettingsSchema } from './config/schema';
import { checkSplitStacksLayout, checkSplitStacksOrder, type SplitStacksFacts } from './transform/split-stacks-check';
import { naming } from './naming';
import { trafficCommands, trafficHooks } from './deploy';
import { createLogger, type FrameworkUtils, type Logger } from './log';
import { renderPlan, summaryLines } from './plan/plan-text';
import { applyTrafficShift, type Plan } from './transform';
import type { CfnTemplate } from './types/cloudformation';

interface FunctionObject {
  deploymentSettings?: unknown;
  versionFunction?: boolean;
  targetAlias?: { name: string; logicalId: string };
  events?: unknown[];
}

/** The slice of the Serverless Framework v3 object the plugin uses. */
interface Serverless {
  service: {
    custom?: Record<string, unknown>;
    provider: {
      versionFunctions?: boolean;
      compiledCloudFormationTemplate: CfnTemplate;
      eventBridge?: { useCloudFormation?: boolean };
    };
    getAllFunctions(): string[];
    getFunction(name: string): FunctionObject;
  };
  getProvider(name: 'aws'): {
    getStage(): string;
    naming: { getLambdaLogicalId(name: string): string; getNormalizedFunctionName(name: string): string };
  };
  configSchemaHandler?: {
    defineCustomProperties(schema: object): void;
    defineFunctionProperties(provider: string, schema: object): void;
  };
  pluginManager: {
    /** Loaded plugins in the order their hooks run. */
    plugins?: unknown[];
    spawn(command: string): Promise<void>;
  };
}

/** serverless-plugin-split-stacks's class, as the framework loaded it. */
const SPLIT_STACKS_CLASS = 'ServerlessPluginSplitStacks';

class TrafficShiftPlugin {
  readonly hooks: Record<string, () => void | Promise<void>>;
  readonly commands = {
    traffic: {
      usage: 'Traffic shifting of Lambda aliases (serverless-traffic-shift)',
      commands: {
        plan: {
          usage: 'Package the service and show, per function, how its next deploy shifts traffic (no AWS calls)',
          lifecycleEvents: ['plan'],
          options: {
            json: { usage: 'Print the plan as JSON on standard output, for scripts', type: 'boolean' },
          },
        },
        ...trafficCommands,
      },
    },
  };
  private readonly log: Logger;
  private settings?: ResolvedSettings;
  private plan?: Plan;
  private showFullPlan = false;

  constructor(
    private readonly serverless: Serverless,
    private readonly options: Record<string, unknown>,
    utils?: FrameworkUtils,
  ) {
    this.log = createLogger(utils);
    serverless.configSchemaHandler?.defineCustomProperties({
      properties: { deploymentSettings: forFramework(serviceSettingsSchema) },
    });
    serverless.configSchemaHandler?.defineFunctionProperties('aws', {
      properties: { deploymentSettings: forFramework(functionSettingsSchema) },
    });
    this.hooks = {
      'before:package:compileFunctions': () => this.prepareFunctions(),
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.transformTemplate(),
      'after:package:finalize': () => this.reportSummary(),
      'traffic:plan:plan': () => this.showPlan(),
      // Deploy-time features (src/deploy): traffic status|watch|rollback|shift|promote and the deploy hooks.
      ...trafficHooks({
        serverless,
        options,
        utils,
        settings: () => this.settings ?? resolveSettings(this.describeService()),
      }),
    };
  }

  /**
   * Checks every setting before anything is compiled, then asks the framework to publish a version of each
   * shifted function and to wire its events to the alias (`targetAlias`, the framework's own mechanism). Hook
   * functions get no versions unless they ask for them: CodeDeploy invokes a hook by name, so a version of it would
   * serve nothing, and would tie the hook to the versions it checks (its environment names the new one).
   */
  private prepareFunctions(): void {
    checkSplitStacksOrder(this.splitStacks());
    this.settings = resolveSettings(this.describeService());
    for (const fn of this.settings.functions) {
      const functionObject = this.serverless.service.getFunction(fn.name);
      if (fn.kind === 'untouched') {
        if (fn.hook && functionObject.versionFunction === undefined) functionObject.versionFunction = false;
        continue;
      }
      functionObject.versionFunction = true;
      functionObject.targetAlias = { name: fn.alias, logicalId: naming.alias(fn.normalizedName) };
    }
  }

  private transformTemplate(): void {
    const splitStacks = this.splitStacks();
    if (!this.settings) checkSplitStacksOrder(splitStacks);
    const settings = this.settings ?? resolveSettings(this.describeService());
    const compiled = this.serverless.service.provider.compiledCloudFormationTemplate;
    const result = applyTrafficShift(settings, compiled, { stackSplitAfter: splitStacks.loaded });
    checkSplitStacksLayout(splitStacks, settings, result.template);
    // The framework holds this object: update it in place so it writes what the transform returned.
    Object.assign(compiled, result.template);
    this.plan = result.plan;
  }

  private reportSummary(): void {
    if (!this.plan) return;
    for (const warning of this.plan.warnings) this.log.warning(`serverless-traffic-shift: ${warning}`);
    if (this.showFullPlan) return;
    this.log.notice('serverless-traffic-shift:');
    for (const line of summaryLines(this.plan)) this.log.notice(`  ${line}`);
  }

  private async showPlan(): Promise<void> {
    this.showFullPlan = true;
    await this.serverless.pluginManager.spawn('package');
    if (this.plan)
      this.log.writeText(this.options.json === true ? JSON.stringify(this.plan, null, 2) : renderPlan(this.plan));
  }

  /** Why an event of the function cannot reach it through an alias, from its events in serverless.yml. */
  private cannotShift(fn: FunctionObject): string | undefined {
    const kinds = new Set(
      (fn.events ?? []).flatMap((event) => (event && typeof event === 'object' ? Object.keys(event) : [])),
    );
    if (kinds.has('cloudFront'))
      return 'Lambda@Edge (cloudFront event): CloudFront invokes a published version, never an alias';
    if (kinds.has('eventBridge') && this.serverless.service.provider.eventBridge?.useCloudFormation === false) {
      return "its eventBridge events go through the framework's custom resource (useCloudFormation: false), which targets the function itself";
    }
    return undefined;
  }

  /** What serverless-plugin-split-stacks will do after the transform (see transform/split-stacks-check.ts). */
  private splitStacks(): SplitStacksFacts {
    const plugins = this.serverless.pluginManager.plugins ?? [];
    const index = plugins.findIndex(
      (plugin) => (plugin as { constructor?: { name?: string } } | null)?.constructor?.name === SPLIT_STACKS_CLASS,
    );
    const config = this.serverless.service.custom?.splitStacks as
      { perFunction?: unknown; perGroupFunction?: unknown } | undefined;
    return {
      loaded: index >= 0,
      runsFirst: index >= 0 && index < plugins.indexOf(this),
      perFunction: Boolean(config?.perFunction),
      perGroupFunction: Boolean(config?.perGroupFunction),
    };
  }

  private describeService(): ServiceDescription {
    const { service } = this.serverless;
    const provider = this.serverless.getProvider('aws');
    const functions: ServiceDescription['functions'] = {};
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      const cannotShift = this.cannotShift(fn);
      functions[name] = {
        settings: fn.deploymentSettings,
        ...(fn.versionFunction !== undefined && { versionFunction: fn.versionFunction }),
        logicalId: provider.naming.getLambdaLogicalId(name),
        normalizedName: provider.naming.getNormalizedFunctionName(name),
        ...(cannotShift !== undefined && { cannotShift }),
      };
    }
    return {
      stage: provider.getStage(),
      versionFunctions: service.provider.versionFunctions !== false,
      defaults: service.custom?.deploymentSettings,
      functions,
    };
  }
}

export = TrafficShiftPlugin;
