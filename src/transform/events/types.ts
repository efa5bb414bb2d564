/** One module per kind of resource that invokes a Lambda function; the registry (index.ts) collects them. */
import type { ShiftedFunction } from '../../config/resolve';
import { naming } from '../../naming';
import type { CfnResource, CfnTemplate } from '../../types/cloudformation';
import { getAttTarget, isObject, mapValue, refTarget } from '../intrinsics';

export interface EventSourceModule {
  /** CloudFormation resource types this module knows. */
  resourceTypes: readonly string[];
  /** The event source in the words of serverless.yml, for the plan: `sqs arn:aws:sqs:…:queue`. */
  describe(logicalId: string, resource: CfnResource, template: CfnTemplate): string;
  /**
   * Rewires a resource that the framework's `targetAlias` mechanism does not reach, for one shifted function.
   * Returns the new resource, or undefined when there is nothing to change.
   */
  rewire?(resource: CfnResource, target: RewireTarget, logicalId: string): CfnResource | undefined;
  /** Why the bypass check's finding cannot be fixed by pointing at the alias, when that is so, and what to do. */
  bypassHint?: string | ((resource: CfnResource) => string | undefined);
}

export interface RewireTarget {
  fn: ShiftedFunction;
}

/** A short text for any value: a literal as it is, an intrinsic by its reference. */
export function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [key, inner] = Object.entries(value)[0] ?? [];
    if (key === 'Ref') return String(inner);
    if (key === 'Fn::GetAtt') return Array.isArray(inner) ? inner.join('.') : String(inner);
    if (key === 'Fn::Sub' && typeof inner === 'string') return inner;
    if (key === 'Fn::ImportValue') return `import ${show(inner)}`;
  }
  return 'a computed value';
}

/**
 * The resource with every `Fn::GetAtt [<function>, Arn]` (or `Ref` of it) inside the listed properties replaced by the
 * function's alias ARN, except where a `Fn::Join` already qualifies it; `more` may rewrite other nodes (it gets the
 * same alias id). Undefined when nothing changed.
 */
export function pointPropertiesAtAlias(
  resource: CfnResource,
  keys: readonly string[],
  fn: ShiftedFunction,
  more?: (node: unknown, aliasId: string, replace: (node: unknown) => unknown) => unknown,
): CfnResource | undefined {
  const aliasId = naming.alias(fn.normalizedName);
  const names = (node: unknown): boolean =>
    getAttTarget(node, 'Arn') === fn.logicalId || refTarget(node) === fn.logicalId;
  const replace = (node: unknown): unknown => {
    if (names(node)) return { Ref: aliasId };
    // `Fn::Join [":", [<function ARN>, <qualifier>]]` already names a version or an alias: left as it is.
    const join = isObject(node) ? node['Fn::Join'] : undefined;
    if (Array.isArray(join) && join[0] === ':' && Array.isArray(join[1]) && join[1].length > 1 && names(join[1][0]))
      return node;
    return more?.(node, aliasId, replace);
  };
  const properties = resource.Properties ?? {};
  let next: Record<string, unknown> | undefined;
  for (const key of keys) {
    if (!(key in properties)) continue;
    const value = mapValue(properties[key], replace);
    if (value !== properties[key]) (next ??= { ...properties })[key] = value;
  }
  return next ? { ...resource, Properties: next } : undefined;
}
