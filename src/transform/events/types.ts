/** One module per kind of resource that invokes a Lambda function; the registry (index.ts) collects them. */
import type { ShiftedFunction } from '../../config/resolve';
import type { CfnResource, CfnTemplate } from '../../types/cloudformation';

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
