/**
 * The plugin's part in the framework's package lifecycle: it reads the service from the framework, resolves the
 * settings, asks the framework to version and alias the shifted functions, hands settings and compiled template to
 * the pure transform, and says what the result will do. Loaded when a command packages.
 */
import { resolveSettings, type ResolvedSettings, type ServiceDescription } from './config/resolve';
import type { FunctionObject, PluginInput } from './framework';
import { createLogger, type Logger } from './log';
import { naming } from './naming';
import type { Plan } from './plan/plan';
import { summaryLines } from './plan/plan-text';
import { applyTrafficShift } from './transform';
import { checkSplitStacksLayout, checkSplitStacksOrder, type SplitStacksFacts } from './transform/split-stacks-check';

/** serverless-plugin-split-stacks's class, as the framework loaded it. */
const SPLIT_STACKS_CLASS = 'ServerlessPluginSplitStacks';

export class Packaging {
  /** Resolved when the command packages (before the functions compile). */
  settings?: ResolvedSettings;
  /** What the transform said the template will do. */
  plan?: Plan;
  private readonly log: Logger;

  constructor(
    private readonly input: PluginInput,
    /** The plugin instance, to find its place among the loaded plugins. */
    private readonly plugin: unknown,
  ) {
    this.log = createLogger(input.utils);
  }

  /** The settings of this command: resolved while packaging, else now (commands that do not package). */
  resolvedSettings(): ResolvedSettings {
    return this.settings ?? resolveSettings(this.describeService());
  }

  /**
   * Checks every setting before anything is compiled, then asks the framework to publish a version of each
   * shifted function and to wire its events to the alias (`targetAlias`, the framework's own mechanism). Hook
   * functions get no versions unless they ask for them: CodeDeploy invokes a hook by name, so a version of it would
   * serve nothing, and would tie the hook to the versions it checks (its environment names the new one).
   */
  prepareFunctions(): void {
    checkSplitStacksOrder(this.splitStacks());
    this.settings = resolveSettings(this.describeService());
    for (const fn of this.settings.functions) {
      const functionObject = this.input.serverless.service.getFunction(fn.name);
      if (fn.kind === 'untouched') {
        if (fn.hook && functionObject.versionFunction === undefined) functionObject.versionFunction = false;
        continue;
      }
      functionObject.versionFunction = true;
      functionObject.targetAlias = { name: fn.alias, logicalId: naming.alias(fn.normalizedName) };
    }
  }

  transformTemplate(): void {
    const splitStacks = this.splitStacks();
    if (!this.settings) checkSplitStacksOrder(splitStacks);
    const settings = this.resolvedSettings();
    const compiled = this.input.serverless.service.provider.compiledCloudFormationTemplate;
    const result = applyTrafficShift(settings, compiled, { stackSplitAfter: splitStacks.loaded });
    checkSplitStacksLayout(splitStacks, settings, result.template);
    // The framework holds this object: update it in place so it writes what the transform returned.
    Object.assign(compiled, result.template);
    this.plan = result.plan;
  }

  /** After packaging: the warnings, then one line per function unless the full plan follows. */
  reportSummary(fullPlanFollows: boolean): void {
    if (!this.plan) return;
    for (const warning of this.plan.warnings) this.log.warning(`serverless-traffic-shift: ${warning}`);
    if (fullPlanFollows) return;
    this.log.notice('serverless-traffic-shift:');
    for (const line of summaryLines(this.plan)) this.log.notice(`  ${line}`);
  }

  /** Why an event of the function cannot reach it through an alias, from its events in serverless.yml. */
  private cannotShift(fn: FunctionObject): string | undefined {
    const kinds = new Set(
      (fn.events ?? []).flatMap((event) => (event && typeof event === 'object' ? Object.keys(event) : [])),
    );
    if (kinds.has('cloudFront'))
      return 'Lambda@Edge (cloudFront event): CloudFront invokes a published version, never an alias';
    if (kinds.has('eventBridge') && this.input.serverless.service.provider.eventBridge?.useCloudFormation === false) {
      return "its eventBridge events go through the framework's custom resource (useCloudFormation: false), which targets the function itself";
    }
    return undefined;
  }

  /** What serverless-plugin-split-stacks will do after the transform (see transform/split-stacks-check.ts). */
  private splitStacks(): SplitStacksFacts {
    const { serverless } = this.input;
    const plugins = serverless.pluginManager.plugins ?? [];
    const index = plugins.findIndex(
      (plugin) => (plugin as { constructor?: { name?: string } } | null)?.constructor?.name === SPLIT_STACKS_CLASS,
    );
    const config = serverless.service.custom?.splitStacks as
      { perFunction?: unknown; perGroupFunction?: unknown } | undefined;
    return {
      loaded: index >= 0,
      runsFirst: index >= 0 && index < plugins.indexOf(this.plugin),
      perFunction: Boolean(config?.perFunction),
      perGroupFunction: Boolean(config?.perGroupFunction),
    };
  }

  private describeService(): ServiceDescription {
    const { serverless } = this.input;
    const { service } = serverless;
    const provider = serverless.getProvider('aws');
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
