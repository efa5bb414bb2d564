/**
 * Points what the framework wired to an alias at the plugin's alias. The plugin asks the framework to wire each
 * shifted function's events to its alias (the framework's `targetAlias`, the mechanism it uses for provisioned
 * concurrency), which emits `Fn::Join [":", [Fn.Arn, "<alias>"]]` and a `DependsOn` on the alias id. This pass turns
 * those, and anything aimed at the framework's own provisioned/SnapStart/durable aliases (alias.ts absorbs them), into
 * a `Ref` of the plugin's alias (`Ref` of an AWS::Lambda::Alias is its ARN): one walk over the template for all
 * functions.
 */
import type { ShiftedFunction } from '../config/resolve';
import { naming } from '../naming';
import type { CfnResource, CfnTemplate } from '../types/cloudformation';
import { dependsOnList, getAttTarget, mapObjects, refTarget } from './intrinsics';

interface Target {
  aliasLogicalId: string;
  /** The alias name. */
  alias: string;
  /** Alias names whose qualified ARN means "this function through an alias". */
  qualifiers: Set<string>;
}

export function retargetToAliases(template: CfnTemplate, functions: readonly ShiftedFunction[]): CfnTemplate {
  const byFunction = new Map<string, Target>();
  const byReplacedAlias = new Map<string, string>();
  for (const fn of functions) {
    const aliasLogicalId = naming.alias(fn.normalizedName);
    const frameworkAliases = naming.frameworkAliases(fn.normalizedName);
    byFunction.set(fn.logicalId, {
      aliasLogicalId,
      alias: fn.alias,
      qualifiers: new Set([fn.alias, ...frameworkAliases.map((a) => a.name)]),
    });
    byReplacedAlias.set(aliasLogicalId, aliasLogicalId);
    for (const alias of frameworkAliases) byReplacedAlias.set(alias.logicalId, aliasLogicalId);
  }

  // v4's provisioned-concurrency alias under the shifted alias's own name (`<Fn>ProvConc<Name>LambdaAlias`), absorbed
  // by then (alias.ts): found by its id, looked for only when an id has its shape.
  const replacedAlias = (id: string | undefined): string | undefined => {
    if (id === undefined) return undefined;
    const known = byReplacedAlias.get(id);
    if (known !== undefined || !id.endsWith('LambdaAlias') || !id.includes('ProvConc')) return known;
    const owner = functions
      .filter((fn) => naming.isNamedProvisionedAlias(fn.normalizedName, id))
      .sort((a, b) => b.normalizedName.length - a.normalizedName.length)[0];
    return owner && naming.alias(owner.normalizedName);
  };
  const aliasOf = (arn: unknown, qualifier: unknown): string | undefined => {
    const target = byFunction.get(getAttTarget(arn, 'Arn') ?? '');
    return target && typeof qualifier === 'string' && target.qualifiers.has(qualifier)
      ? target.aliasLogicalId
      : undefined;
  };
  const replaceQualifiedRuns = (parts: unknown[]): unknown[] => {
    let out: unknown[] | undefined;
    for (let i = 0; i < parts.length; i += 1) {
      const aliasLogicalId = parts[i + 1] === ':' ? aliasOf(parts[i], parts[i + 2]) : undefined;
      if (aliasLogicalId !== undefined) {
        out ??= parts.slice(0, i);
        out.push({ Ref: aliasLogicalId });
        i += 2;
      } else {
        out?.push(parts[i]);
      }
    }
    return out ?? parts;
  };

  const replace = (node: Record<string, unknown>): unknown => {
    const join = node['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) {
      const [delimiter, parts] = join as [unknown, unknown[]];
      // `Fn::Join [":", [Fn.Arn, "live"]]`: the whole value is the alias ARN.
      if (delimiter === ':' && parts.length === 2 && aliasOf(parts[0], parts[1]))
        return { Ref: aliasOf(parts[0], parts[1]) };
      // `Fn::Join ["", [..., Fn.Arn, ":", "live", "/invocations"]]`: the alias ARN inside a longer string.
      if (delimiter === '') {
        const rewritten = replaceQualifiedRuns(parts);
        if (rewritten !== parts) return { 'Fn::Join': ['', rewritten.map((part) => mapObjects(part, replace))] };
      }
    }
    const aliasRef = replacedAlias(refTarget(node));
    if (aliasRef !== undefined) return { Ref: aliasRef };
    return undefined;
  };

  const aliasIds = new Set(byReplacedAlias.values());
  // A copy whose changed entries are replaced: copying the map whole is far cheaper than building it key by key.
  const resources: Record<string, CfnResource> = Object.assign({}, template.Resources);
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    let next = mapObjects(resource, replace) as CfnResource;
    const original = dependsOnList(next.DependsOn);
    if (original.some((id) => replacedAlias(id) !== undefined)) {
      // The framework's DependsOn on the alias is redundant once the resource holds a Ref of it.
      const { DependsOn: _old, ...rest } = next;
      const { Properties } = rest;
      const referenced = (id: string): boolean => JSON.stringify(Properties ?? {}).includes(`{"Ref":"${id}"}`);
      const kept = [...new Set(original.map((id) => replacedAlias(id) ?? id))].filter(
        (id) => !(aliasIds.has(id) && referenced(id)),
      );
      const unchanged = kept.length === original.length && kept.every((id, i) => id === original[i]);
      next = unchanged
        ? next
        : kept.length === 0
          ? rest
          : { ...rest, DependsOn: kept.length === 1 ? (kept[0] as string) : kept };
    }
    next = requalify(next, byFunction);
    if (next !== resource) resources[logicalId] = next;
  }
  const outputs =
    template.Outputs === undefined ? undefined : (mapObjects(template.Outputs, replace) as Record<string, unknown>);
  return { ...template, Resources: resources, ...(outputs !== undefined && { Outputs: outputs }) };
}

/**
 * Async invocation settings and function URLs name their alias in `Qualifier`: the framework writes the name of the
 * alias it wired to (`provisioned` when the function has provisioned concurrency), which the plugin's alias replaces.
 */
function requalify(resource: CfnResource, byFunction: Map<string, Target>): CfnResource {
  if (resource.Type !== 'AWS::Lambda::EventInvokeConfig' && resource.Type !== 'AWS::Lambda::Url') return resource;
  const properties = resource.Properties ?? {};
  const named = properties.FunctionName ?? properties.TargetFunctionArn;
  const logicalId = refTarget(named) ?? getAttTarget(named, 'Arn');
  const target = logicalId === undefined ? undefined : byFunction.get(logicalId);
  if (
    !target ||
    typeof properties.Qualifier !== 'string' ||
    properties.Qualifier === target.alias ||
    !target.qualifiers.has(properties.Qualifier)
  ) {
    return resource;
  }
  return { ...resource, Properties: { ...properties, Qualifier: target.alias } };
}
