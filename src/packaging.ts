/**
 * The plugin's part in the framework's package lifecycle: it reads the service from the framework, resolves the
 * settings, asks the framework to version and alias the shifted functions, hands settings and compiled template to
 * the pure transform, and says what the result will do. Loaded when a command packages.
 */
import { eventThatCannotShift, permissionsForOutsideCallers, trafficFacts } from './config/callers';
import { resolveSettings, type ResolvedSettings, type ServiceDescription } from './config/resolve';
import type { PluginInput } from './framework';
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
  async prepareFunctions(): Promise<void> {
    checkSplitStacksOrder(this.splitStacks());
    const service = this.describeService();
    const accountId = await this.deployingAccount();
    this.settings = resolveSettings({ ...service, ...(accountId !== undefined && { accountId }) });
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

  /**
   * The account the stack deploys to, during `sls deploy` only (a hook given by ARN must be in it): the framework's
   * memoized STS call, which its deploy makes anyway. `sls package` and `traffic plan` ask AWS nothing; a failure
   * leaves the account unknown (the deploy itself reports the credentials).
   */
  private async deployingAccount(): Promise<string | undefined> {
    const { serverless } = this.input;
    const provider = serverless.getProvider('aws');
    if (serverless.processedInput?.commands?.join(' ') !== 'deploy' || typeof provider.getAccountId !== 'function')
      return undefined;
    try {
      const accountId = await provider.getAccountId();
      return /^\d{12}$/.test(accountId) ? accountId : undefined;
    } catch {
      return undefined;
    }
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
    const customResource = service.provider.eventBridge?.useCloudFormation === false;
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      const logicalId = provider.naming.getLambdaLogicalId(name);
      const cannotShift = eventThatCannotShift(fn.events, customResource);
      const outsideCallers = permissionsForOutsideCallers(
        { logicalId, ...(fn.name !== undefined && { deployedName: fn.name }) },
        service.resources?.Resources,
      );
      const traffic = trafficFacts(fn.events);
      functions[name] = {
        settings: fn.deploymentSettings,
        ...(fn.versionFunction !== undefined && { versionFunction: fn.versionFunction }),
        logicalId,
        normalizedName: provider.naming.getNormalizedFunctionName(name),
        ...(fn.name !== undefined && { deployedName: fn.name }),
        ...(cannotShift !== undefined && { cannotShift }),
        ...(outsideCallers.length > 0 && { outsideCallers }),
        ...(traffic !== undefined && { traffic }),
      };
    }
    return {
      stage: provider.getStage(),
      region: provider.getRegion(),
      versionFunctions: service.provider.versionFunctions !== false,
      defaults: service.custom?.deploymentSettings,
      functions,
    };
  }
}
