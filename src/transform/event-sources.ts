/**
 * Event sources of shifted functions, after the framework wired what it could to the alias: rewire the rest
 * (module by module, see events/), move the permissions whose invoker now calls the alias, and list, per function,
 * what reaches it through its alias. Pure.
 */
import type { ShiftedFunction } from '../config/resolve';
import { naming } from '../naming';
import type { CfnResource, CfnTemplate } from '../types/cloudformation';
import { eventSourceModule } from './events';
import { getAttTarget, isObject, refTarget } from './intrinsics';

export function rewireEventSources(template: CfnTemplate, functions: readonly ShiftedFunction[]): CfnTemplate {
  return permissionsFollowInvokers(rewireModules(template, functions), functions);
}

function rewireModules(template: CfnTemplate, functions: readonly ShiftedFunction[]): CfnTemplate {
  // Copied on the first change only: most stacks have nothing here to rewire.
  let resources: Record<string, CfnResource> | undefined;
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const module = eventSourceModule(resource.Type);
    if (!module?.rewire) continue;
    let current = resource;
    for (const fn of functions) current = module.rewire(current, { fn }, logicalId) ?? current;
    if (current !== resource) (resources ??= Object.assign({}, template.Resources))[logicalId] = current;
  }
  return resources ? { ...template, Resources: resources } : template;
}

/**
 * A permission on a shifted function itself whose SourceArn names a resource of the template (by Ref or Fn::GetAtt)
 * that invokes the function's alias moves to the alias: its invoker calls the alias (the AppSync API of a Lambda
 * authorizer, once rewired), and a permission on the function would not cover the call. A permission for an invoker
 * outside the template, or for one that does not call the alias, stays, and the bypass check names it; so does one in
 * allowBypass.
 */
function permissionsFollowInvokers(template: CfnTemplate, functions: readonly ShiftedFunction[]): CfnTemplate {
  const byLogicalId = new Map(functions.map((fn) => [fn.logicalId, fn]));
  let resources: Record<string, CfnResource> | undefined;
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Permission') continue;
    const properties = resource.Properties ?? {};
    const fn = byLogicalId.get(
      getAttTarget(properties.FunctionName, 'Arn') ?? refTarget(properties.FunctionName) ?? '',
    );
    if (!fn || fn.allowBypass.includes(logicalId)) continue;
    const sourceArn = properties.SourceArn;
    const getAtt =
      isObject(sourceArn) && Array.isArray(sourceArn['Fn::GetAtt']) ? sourceArn['Fn::GetAtt'][0] : undefined;
    const invokerId = refTarget(sourceArn) ?? (typeof getAtt === 'string' ? getAtt : undefined);
    if (invokerId === undefined || !Object.prototype.hasOwnProperty.call(template.Resources, invokerId)) continue;
    const aliasId = naming.alias(fn.normalizedName);
    if (!JSON.stringify(template.Resources[invokerId]).includes(`{"Ref":"${aliasId}"}`)) continue;
    (resources ??= Object.assign({}, template.Resources))[logicalId] = {
      ...resource,
      Properties: { ...properties, FunctionName: { Ref: aliasId } },
    };
  }
  return resources ? { ...template, Resources: resources } : template;
}

/** Per function name: the event sources that reach it through its alias, in template order. */
export function eventSourcesThroughAlias(
  template: CfnTemplate,
  functions: readonly ShiftedFunction[],
): Map<string, string[]> {
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
      const fn = byFunction.get(
        getAttTarget(properties.TargetFunctionArn, 'Arn') ?? refTarget(properties.TargetFunctionArn) ?? '',
      );
      if (fn && properties.Qualifier === fn.alias) reached.add(fn);
    }
    for (const target of reached) found.get(target.name)?.push(module.describe(logicalId, resource, template));
  }
  return found;
}
