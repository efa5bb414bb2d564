/**
 * Event sources of shifted functions, after the framework wired what it could to the alias: rewire the rest
 * (module by module, see events/) and list, per function, what reaches it through its alias. Pure.
 */
import type { ShiftedFunction } from '../config/resolve';
import { naming } from '../naming';
import type { CfnResource, CfnTemplate } from '../types/cloudformation';
import { eventSourceModule } from './events';

interface Target {
  fn: ShiftedFunction;
  physicalName?: string;
}

function targets(template: CfnTemplate, functions: readonly ShiftedFunction[]): Target[] {
  return functions.map((fn) => {
    const name = template.Resources[fn.logicalId]?.Properties?.FunctionName;
    return { fn, ...(typeof name === 'string' && { physicalName: name }) };
  });
}

export function rewireEventSources(template: CfnTemplate, functions: readonly ShiftedFunction[]): CfnTemplate {
  const all = targets(template, functions);
  const resources: Record<string, CfnResource> = { ...template.Resources };
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const module = eventSourceModule(resource.Type);
    if (!module?.rewire) continue;
    for (const target of all) {
      const rewired = module.rewire(resources[logicalId] as CfnResource, target);
      if (!rewired) continue;
      resources[logicalId] = rewired;
    }
  }
  return { ...template, Resources: resources };
}

/** Per function name: the event sources that reach it through its alias, in template order. */
export function eventSourcesThroughAlias(template: CfnTemplate, functions: readonly ShiftedFunction[]): Map<string, string[]> {
  const byAlias = new Map<string, Target>();
  const byQualifiedName = new Map<string, Target>();
  for (const target of targets(template, functions)) {
    byAlias.set(naming.alias(target.fn.normalizedName), target);
    if (target.physicalName) byQualifiedName.set(`${target.physicalName}:${target.fn.alias}`, target);
  }
  const found = new Map<string, string[]>(functions.map((fn) => [fn.name, []]));
  const refPattern = /\{"Ref":"([A-Za-z0-9]+)"\}/g;
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const module = eventSourceModule(resource.Type);
    if (!module) continue;
    const text = JSON.stringify(resource.Properties ?? {});
    const reached = new Set<Target>();
    for (const match of text.matchAll(refPattern)) {
      const target = byAlias.get(match[1] as string);
      if (target) reached.add(target);
    }
    const qualified = byQualifiedName.get(resource.Properties?.FunctionName as string);
    if (qualified) reached.add(qualified);
    for (const target of reached) found.get(target.fn.name)?.push(module.describe(logicalId, resource, template));
  }
  return found;
}
