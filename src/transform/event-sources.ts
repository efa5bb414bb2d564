/**
 * Event sources of shifted functions, after the framework wired what it could to the alias: rewire the rest
 * (module by module, see events/) and list, per function, what reaches it through its alias. Pure.
 */
import type { ShiftedFunction } from '../config/resolve';
import { naming } from '../naming';
import type { CfnResource, CfnTemplate } from '../types/cloudformation';
import { eventSourceModule } from './events';
import { getAttTarget, refTarget } from './intrinsics';

export function rewireEventSources(template: CfnTemplate, functions: readonly ShiftedFunction[]): CfnTemplate {
  // Copied on the first change only: most stacks have nothing here to rewire.
  let resources: Record<string, CfnResource> | undefined;
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const module = eventSourceModule(resource.Type);
    if (!module?.rewire) continue;
    let current = resource;
    for (const fn of functions) current = module.rewire(current, { fn }, logicalId) ?? current;
    if (current !== resource) (resources ??= { ...template.Resources })[logicalId] = current;
  }
  return resources ? { ...template, Resources: resources } : template;
}

/** Per function name: the event sources that reach it through its alias, in template order. */
export function eventSourcesThroughAlias(template: CfnTemplate, functions: readonly ShiftedFunction[]): Map<string, string[]> {
  const byAlias = new Map<string, ShiftedFunction>();
  const byFunction = new Map<string, ShiftedFunction>();
  for (const fn of functions) {
    byAlias.set(naming.alias(fn.normalizedName), fn);
    byFunction.set(fn.logicalId, fn);
  }
  const found = new Map<string, string[]>(functions.map((fn) => [fn.name, []]));
  const refPattern = /\{"Ref":"([A-Za-z0-9]+)"\}/g;
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const module = eventSourceModule(resource.Type);
    if (!module) continue;
    const properties = resource.Properties ?? {};
    const reached = new Set<ShiftedFunction>();
    for (const match of JSON.stringify(properties).matchAll(refPattern)) {
      const fn = byAlias.get(match[1] as string);
      if (fn) reached.add(fn);
    }
    // A function URL names the function and its alias apart. (Async settings do too, but configure the function
    // rather than invoke it: only their destinations, found above by Ref, are event sources.)
    if (resource.Type === 'AWS::Lambda::Url') {
      const fn = byFunction.get(getAttTarget(properties.TargetFunctionArn, 'Arn') ?? refTarget(properties.TargetFunctionArn) ?? '');
      if (fn && properties.Qualifier === fn.alias) reached.add(fn);
    }
    for (const target of reached) found.get(target.name)?.push(module.describe(logicalId, resource, template));
  }
  return found;
}
