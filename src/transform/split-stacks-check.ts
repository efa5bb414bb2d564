/**
 * serverless-plugin-split-stacks moves resources of the compiled template into nested stacks, at the same step as this
 * plugin's transform (`after:aws:package:finalize:mergeCustomProviderResources`). It works with the plugin when
 * - it runs after it: the transform needs the functions' versions in the template it wires;
 * - it splits per type (its default): versions, alarms and permissions move, each referring to the root stack one
 *   way; or per function (`perFunction` / `perGroupFunction`) as long as no resource of the root stack, where the
 *   plugin's shared resources stay, refers to a function's nested stack while that stack refers back to it. The shared
 *   smoke-test and bake hooks and the existing-source handler do both (they name each function's alias, version or
 *   deployment group, and each function's stack names them), and so does a hook function of the service, which
 *   lands in a nested stack of its own: CloudFormation rejects the cycle.
 * Pure: the plugin entry reads the facts from the framework.
 */
import { ServerlessError } from '../errors';
import { naming } from '../naming';
import type { CfnTemplate } from '../types/cloudformation';
import type { ResolvedSettings } from '../config/resolve';

export interface SplitStacksFacts {
  /** serverless-plugin-split-stacks is loaded in this service. */
  loaded: boolean;
  /** It is listed (so its hooks run) before serverless-traffic-shift. */
  runsFirst: boolean;
  /** `custom.splitStacks.perFunction` / `perGroupFunction` is on. */
  perFunction: boolean;
  perGroupFunction: boolean;
}

export const NO_SPLIT_STACKS: SplitStacksFacts = {
  loaded: false,
  runsFirst: false,
  perFunction: false,
  perGroupFunction: false,
};

/** Before anything is compiled: the order of the plugins. */
export function checkSplitStacksOrder(facts: SplitStacksFacts): void {
  if (!facts.loaded || !facts.runsFirst) return;
  throw new ServerlessError(
    'serverless-plugin-split-stacks is listed before serverless-traffic-shift in plugins. Both change the template at the same ' +
      "step, and split-stacks would move the functions' versions into nested stacks before their aliases are wired. " +
      'List serverless-traffic-shift first.',
    'TRAFFIC_SHIFT_PLUGIN_ORDER',
  );
}

/** After the transform, before the template is handed back: what a split per function would turn into a cycle. */
export function checkSplitStacksLayout(
  facts: SplitStacksFacts,
  settings: ResolvedSettings,
  template: CfnTemplate,
): void {
  if (!facts.loaded || !(facts.perFunction || facts.perGroupFunction)) return;
  const key = facts.perFunction ? 'custom.splitStacks.perFunction' : 'custom.splitStacks.perGroupFunction';
  const reasons: string[] = [];
  for (const fn of settings.functions) {
    if (fn.kind !== 'shifted' || fn.strategy.kind === 'inPlace') continue;
    const hooks = [fn.health.preTrafficHook, fn.health.postTrafficHook].flatMap((h) =>
      h?.kind === 'function' ? [h.name] : [],
    );
    if (hooks.length > 0)
      reasons.push(
        `${fn.name} is checked by ${hooks.map((h) => `function ${h}`).join(' and ')}, which gets a nested stack of its own`,
      );
  }
  const shared: [string, string][] = [
    [naming.smokeTestHook(), 'smokeTest'],
    [naming.bakeHook(), 'bakeTime / BlueGreen'],
    [naming.existingSourcesHandler(), 'existing S3 buckets or Cognito user pools'],
  ];
  for (const [id, feature] of shared) {
    if (Object.prototype.hasOwnProperty.call(template.Resources, id))
      reasons.push(`${id} (${feature}) serves several functions from the root stack`);
  }
  if (reasons.length === 0) return;
  throw new ServerlessError(
    `${key} puts each function, with its alias and deployment group, in a nested stack of its own. Here ` +
      `${reasons.join('; ')}. Each of these and the stacks of the functions it serves would refer to each other, a ` +
      "dependency cycle CloudFormation rejects. Split per type instead (split-stacks' default: perType: true, " +
      'perFunction: false), which works with every feature of serverless-traffic-shift, or drop these hooks and shared features.',
    'TRAFFIC_SHIFT_SPLIT_STACKS',
  );
}
