/**
 * The heart of the plugin: (resolved settings, compiled template) → new template and the plan that describes it.
 * Pure: no framework, no I/O. The input template is never modified; on error nothing is returned.
 *
 * The pipeline, phase by phase: collect what each shifted function needs (its version, alarms); wire the CodeDeploy
 * lifecycle hooks; add the aliases, deployment groups and shared resources, and take over the framework's custom
 * resources for existing buckets and pools; point every invoker at the alias; check the result; describe it.
 */
import type { ResolvedSettings, ShiftedFunction } from '../config/resolve';
import { buildPlan, type Plan } from '../plan/plan';
import type { CfnResource, CfnTemplate } from '../types/cloudformation';
import { emitResources } from './added-resources';
import { checkAliasNamesFree } from './alias-names';
import { eventSourcesThroughAlias, rewireEventSources } from './event-sources';
import { takeOverExistingSources } from './existing-sources';
import { collectFunctionParts, isShifting } from './function-parts';
import { grantAliases } from './grants';
import { retargetToAliases } from './retarget';
import { checkNoAlarmCycle, checkNoBypass, checkResourceBudget } from './template-checks';
import { wireHooks } from './traffic-hooks';

export interface TransformResult {
  template: CfnTemplate;
  plan: Plan;
}

export interface TransformOptions {
  /**
   * Another plugin splits the stack after the transform (serverless-plugin-split-stacks): the root stack's resource
   * count is its business, so the 500-resource check is left to it.
   */
  stackSplitAfter?: boolean;
}

export function applyTrafficShift(
  settings: ResolvedSettings,
  input: CfnTemplate,
  options: TransformOptions = {},
): TransformResult {
  const shifted = settings.functions.filter((f): f is ShiftedFunction => f.kind === 'shifted');
  // This call's own copy of the resource map: phases remove and replace entries in it, never in `input`.
  const resources: Record<string, CfnResource> = Object.assign({}, input.Resources);

  const parts = collectFunctionParts(shifted, input, resources);
  checkAliasNamesFree(resources, shifted);
  const hooks = wireHooks(resources, parts.filter(isShifting));
  Object.assign(resources, hooks.replaced);
  const { added, warnings: roleWarnings } = emitResources(settings, parts, hooks, input.Resources);
  const existing = takeOverExistingSources(resources, shifted);
  for (const logicalId of existing.removed) delete resources[logicalId];
  Object.assign(resources, existing.reordered);
  for (const [name, replacements] of existing.replacements) {
    for (const [logicalId, resource] of Object.entries(replacements))
      added.add(logicalId, resource, { function: name });
  }
  for (const [logicalId, resource] of Object.entries(existing.shared)) added.add(logicalId, resource, 'shared');

  // Joining the added resources in place: a spread of both maps into a new object cost more than all the rewiring
  // of a 150-function stack (V8 builds a large object key by key).
  const template = rewireInvokers({ ...input, Resources: Object.assign(resources, added.resources) }, shifted);

  const bypasses = checkNoBypass(template, shifted);
  checkNoAlarmCycle(template, parts.filter(isShifting));
  const budget = options.stackSplitAfter ? undefined : checkResourceBudget(input, template);

  const plan = buildPlan({
    settings,
    parts,
    hooks: new Map([...hooks.aliases].map(([name, wiring]) => [name, wiring.described])),
    addedByFunction: added.byFunction,
    sharedResources: added.shared,
    events: eventSourcesThroughAlias(template, shifted),
    bypasses,
    warnings: [...hooks.warnings, ...roleWarnings, ...(budget ? [budget] : [])],
  });
  return { template, plan };
}

/** Phase 4: what the framework wired to its alias, event sources it left on the function, and IAM grants, to the alias. */
function rewireInvokers(template: CfnTemplate, shifted: readonly ShiftedFunction[]): CfnTemplate {
  return grantAliases(rewireEventSources(retargetToAliases(template, shifted), shifted), shifted);
}
