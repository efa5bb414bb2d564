/**
 * The bypass check: after the transform, nothing in the template may invoke, or allow invoking, a shifted function
 * other than through its alias: not the unqualified function, not one of its versions, not another alias of it (one
 * written in `resources:`, or one the framework added under a name of the user's). Traffic sent there skips the
 * rollout: it reaches the new code at once (or code the rollout does not watch) and no alarm on the alias sees it.
 * A qualifier counts as the alias only when it is the alias's name, written out. Pure; returns findings, the caller
 * decides how to report them.
 */
import type { ShiftedFunction } from '../config/resolve';
import type { CfnResource, CfnTemplate } from '../types/cloudformation';
import { eventSourceModule } from './events';
import { getAttTarget, isObject, refTarget } from './intrinsics';

export interface BypassFinding {
  functionName: string;
  resource: string;
  resourceType: string;
  /** Where in the resource, e.g. `Properties.Targets[0].Arn`. */
  path: string;
  /** What to do instead, when pointing at the alias is not the answer. */
  hint?: string;
  /** What it invokes instead of the alias (`alias "warm"`, `version 3`), when not the unqualified function. */
  through?: string;
}

/**
 * Resource types whose references to a function are not invocations: its versions and aliases, CodeDeploy, IAM
 * policy documents, log groups and alarm dimensions. Everything else that names the bare function is a finding.
 */
const NOT_INVOKERS = new Set([
  'AWS::Lambda::Version',
  'AWS::Lambda::Alias',
  'AWS::Lambda::Function',
  'AWS::CodeDeploy::DeploymentGroup',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::Logs::LogGroup',
  'AWS::Logs::MetricFilter',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::CompositeAlarm',
  'AWS::CloudWatch::Dashboard',
]);

interface Watched {
  fn: ShiftedFunction;
  /** The deployed name, when literal: catches hand-written ARNs such as `arn:…:function:svc-prod-api`. */
  physicalName?: string;
}

/** How a reference to a function is qualified: not at all, by a name or number written out, or by an expression. */
type Qualifier = { kind: 'none' } | { kind: 'text'; text: string } | { kind: 'expression'; node: unknown };

export function findBypasses(
  template: CfnTemplate,
  functions: readonly ShiftedFunction[],
  allowed: (fn: ShiftedFunction, resource: string) => boolean = () => false,
): BypassFinding[] {
  const byLogicalId = new Map<string, Watched>();
  const byPhysicalName: Watched[] = [];
  // Exact matches by lookup: a string node costs no work per function unless it holds a `:function:` ARN.
  const withPhysicalName = new Map<string, Watched[]>();
  for (const fn of functions) {
    const name = template.Resources[fn.logicalId]?.Properties?.FunctionName;
    const watched: Watched = { fn, ...(typeof name === 'string' && { physicalName: name }) };
    byLogicalId.set(fn.logicalId, watched);
    if (watched.physicalName) {
      byPhysicalName.push(watched);
      withPhysicalName.set(watched.physicalName, [...(withPhysicalName.get(watched.physicalName) ?? []), watched]);
    }
  }
  // A published version is as direct as the function itself: it runs the new code for all of its traffic. Another
  // alias of the function serves whatever version it names, beside the rollout.
  const versions = new Map<string, Watched>();
  const otherAliases = new Map<string, { watched: Watched; through: string }>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Version' && resource.Type !== 'AWS::Lambda::Alias') continue;
    const named = resource.Properties?.FunctionName;
    const owner =
      byLogicalId.get(refTarget(named) ?? getAttTarget(named, 'Arn') ?? '') ??
      (typeof named === 'string' ? withPhysicalName.get(named)?.[0] : undefined);
    if (!owner) continue;
    if (resource.Type === 'AWS::Lambda::Version') {
      versions.set(id, owner);
      continue;
    }
    const name = resource.Properties?.Name;
    if (name !== owner.fn.alias) {
      otherAliases.set(id, {
        watched: owner,
        through: typeof name === 'string' ? `alias "${name}" (${id})` : `alias ${id}`,
      });
    }
  }
  const versionThrough = (id: string): string => `version ${id}`;

  const findings: BypassFinding[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (NOT_INVOKERS.has(resource.Type)) continue;
    // A function URL or async config names the function and its qualifier in two properties.
    const qualifiedProperty = QUALIFIED_TARGET_PROPERTY[resource.Type];
    const moduleHint = eventSourceModule(resource.Type)?.bypassHint;
    const hint =
      (typeof moduleHint === 'function' ? moduleHint(resource) : moduleHint) ??
      (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource'
        ? CUSTOM_RESOURCE_HINT
        : undefined);
    const report = (watched: Watched, path: string, through?: string): void => {
      if (allowed(watched.fn, logicalId)) return;
      findings.push({
        functionName: watched.fn.name,
        resource: logicalId,
        resourceType: resource.Type,
        path,
        ...(hint && { hint }),
        ...(through && { through }),
      });
    };
    /** A reference to `watched` followed by `qualifier`: fine when that is its alias's name. */
    const check = (watched: Watched, path: string, qualifier: Qualifier): void => {
      if (qualifier.kind === 'none') return report(watched, path);
      if (qualifier.kind === 'text') {
        if (qualifier.text !== watched.fn.alias) report(watched, path, describeQualifier(qualifier.text));
        return;
      }
      const version = getAttTarget(qualifier.node, 'Version');
      if (version !== undefined && versions.get(version) === watched)
        return report(watched, path, versionThrough(version));
      const how = isObject(qualifier.node) ? Object.keys(qualifier.node)[0] : 'an expression';
      report(
        watched,
        path,
        `a qualifier computed by ${how}, which the check cannot read as alias "${watched.fn.alias}",`,
      );
    };
    /**
     * `${Fn}` / `${Fn.Arn}` in a Fn::Sub text, unless followed by `:<alias>`; `${Version}` or `${OtherAlias}`. Each
     * reported once per resource named, in function order.
     */
    const reportSub = (text: string, path: string): void => {
      const found = new Map<string, string | undefined>();
      for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.Arn)?\}(?::([A-Za-z0-9_$-]+))?/g)) {
        const id = m[1] as string;
        if (found.has(id)) continue;
        const watched = byLogicalId.get(id);
        if (watched) {
          const qualifier = textQualifier(m[2] ?? '');
          if (qualifier.kind === 'text' && qualifier.text === watched.fn.alias) continue;
          found.set(id, qualifier.kind === 'text' ? describeQualifier(qualifier.text) : undefined);
        } else if (versions.has(id) || otherAliases.has(id)) {
          found.set(id, undefined);
        }
      }
      if (found.size === 0) return;
      for (const [id, watched] of byLogicalId) if (found.has(id)) report(watched, path, found.get(id));
      for (const [id, owner] of versions) if (found.has(id)) report(owner, path, versionThrough(id));
      for (const [id, other] of otherAliases) if (found.has(id)) report(other.watched, path, other.through);
    };
    walk(resource, 'Resource', (node, path, next) => {
      if (qualifiedProperty !== undefined && path === `Resource.Properties.${qualifiedProperty}`) {
        const watched =
          functionReference(node, byLogicalId) ??
          (typeof node === 'string' ? withPhysicalName.get(node)?.[0] : undefined);
        if (watched) {
          check(watched, path, propertyQualifier(resource));
          return true;
        }
      }
      // Join parts: `[Fn.Arn, ":live"]` or `[Fn.Arn, ":", "live"]` is qualified; a bare ARN is not.
      const fnRef = functionReference(node, byLogicalId);
      if (fnRef) {
        check(fnRef, path, joinQualifier(next));
        return true;
      }
      const target = refTarget(node) ?? getAttTarget(node, 'AliasArn');
      const version = versions.get(target ?? '');
      if (version) {
        report(version, path, versionThrough(target as string));
        return true;
      }
      const other = otherAliases.get(target ?? '');
      if (other) {
        report(other.watched, path, other.through);
        return true;
      }
      if (isObject(node) && node['Fn::Sub'] !== undefined) {
        const text = Array.isArray(node['Fn::Sub']) ? node['Fn::Sub'][0] : node['Fn::Sub'];
        if (typeof text === 'string') reportSub(text, path);
      }
      if (typeof node === 'string') {
        if (node.includes(':function:')) {
          for (const watched of byPhysicalName) {
            if (node === watched.physicalName) {
              report(watched, path);
              continue;
            }
            const qualifier = arnQualifier(node, watched.physicalName as string, watched.fn.alias, next);
            if (qualifier) check(watched, path, qualifier);
          }
        } else {
          for (const watched of withPhysicalName.get(node) ?? []) report(watched, path);
        }
      }
      return false;
    });
  }
  return findings.map(({ path, ...f }) => ({ ...f, path: path.replace(/^Resource\.?/, '') }));
}

const CUSTOM_RESOURCE_HINT =
  'CloudFormation invokes a custom resource handler directly during the deploy; if that is intended, list the resource in allowBypass';

/** Resources that name the function and its qualifier separately (function URLs, async invocation settings). */
const QUALIFIED_BY_PROPERTY: Record<string, string> = {
  'AWS::Lambda::EventInvokeConfig': 'Qualifier',
  'AWS::Lambda::Url': 'Qualifier',
};

/** The property naming the function in those resources. */
const QUALIFIED_TARGET_PROPERTY: Record<string, string> = {
  'AWS::Lambda::EventInvokeConfig': 'FunctionName',
  'AWS::Lambda::Url': 'TargetFunctionArn',
};

function propertyQualifier(resource: CfnResource): Qualifier {
  const qualifier = resource.Properties?.[QUALIFIED_BY_PROPERTY[resource.Type] as string];
  if (typeof qualifier === 'string') return textQualifier(qualifier);
  return isObject(qualifier) ? { kind: 'expression', node: qualifier } : { kind: 'none' };
}

function functionReference(node: unknown, watched: Map<string, Watched>): Watched | undefined {
  const id = getAttTarget(node, 'Arn') ?? refTarget(node);
  return id === undefined ? undefined : watched.get(id);
}

/** The qualifier at the start of `text` (an alias name or a version number); `$LATEST` is the unqualified function. */
function textQualifier(text: string): Qualifier {
  const name = /^[A-Za-z0-9_-]+/.exec(text)?.[0];
  return name === undefined ? { kind: 'none' } : { kind: 'text', text: name };
}

/** `next` is what follows the reference inside the same Fn::Join (with its delimiter first), if anything. */
function joinQualifier(next: unknown[] | undefined): Qualifier {
  if (!next || next.length < 2) return { kind: 'none' };
  const [delimiter, following] = next;
  const qualifierAt = (value: unknown): Qualifier =>
    typeof value === 'string'
      ? textQualifier(value)
      : isObject(value)
        ? { kind: 'expression', node: value }
        : { kind: 'none' };
  if (delimiter === ':') return qualifierAt(following);
  if (typeof following !== 'string') return { kind: 'none' };
  const text = `${String(delimiter)}${following}`;
  if (text === ':') return qualifierAt(next[2]);
  return text.startsWith(':') ? textQualifier(text.slice(1)) : { kind: 'none' };
}

/**
 * How each mention of `arn:…:function:<physicalName>` in `text` is qualified: the first that is not the alias, or
 * undefined when every mention is (or names another function whose name merely begins the same).
 */
function arnQualifier(
  text: string,
  physicalName: string,
  alias: string,
  next: unknown[] | undefined,
): Qualifier | undefined {
  const marker = `:function:${physicalName}`;
  for (let index = text.indexOf(marker); index !== -1; index = text.indexOf(marker, index + 1)) {
    const rest = text.slice(index + marker.length);
    let qualifier: Qualifier;
    if (rest === '') qualifier = joinQualifier(next);
    else if (rest === ':' && next?.[0] === '') qualifier = joinQualifier([':', ...next.slice(1)]);
    else if (rest.startsWith(':')) qualifier = textQualifier(rest.slice(1));
    else if (/^[A-Za-z0-9_-]/.test(rest)) continue;
    else qualifier = { kind: 'none' };
    if (qualifier.kind !== 'text' || qualifier.text !== alias) return qualifier;
  }
  return undefined;
}

function describeQualifier(text: string): string {
  return /^[0-9]+$/.test(text) ? `version ${text}` : `alias "${text}"`;
}

/**
 * Visits every node with its path. For items of an `Fn::Join` list, `next` holds the join delimiter followed by the
 * items after this one, so a reference can tell whether a qualifier follows it. `visit` returns true to skip children.
 */
function walk(
  node: unknown,
  path: string,
  visit: (node: unknown, path: string, next?: unknown[]) => boolean,
  next?: unknown[],
): void {
  if (visit(node, path, next)) return;
  // Plain loops: this runs once per node of the template, in a process where it has not run before.
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i += 1) walk(node[i], `${path}[${i}]`, visit);
    return;
  }
  if (!isObject(node)) return;
  for (const key of Object.keys(node)) {
    if (key === 'DependsOn' || key === 'Condition' || key === 'Metadata') continue;
    const value = node[key];
    if (key === 'Fn::Join' && Array.isArray(value) && Array.isArray(value[1])) {
      const [delimiter, parts] = value as [unknown, unknown[]];
      for (let i = 0; i < parts.length; i += 1)
        walk(parts[i], `${path}.Fn::Join[1][${i}]`, visit, [delimiter, ...parts.slice(i + 1)]);
      continue;
    }
    walk(value, `${path}.${key}`, visit);
  }
}

export function describeFinding(f: BypassFinding): string {
  const how = f.through ? `through ${f.through} instead of its shifted alias` : 'without its alias';
  return `${f.resource} (${f.resourceType}) at ${f.path} invokes function "${f.functionName}" ${how}${f.hint ? ` — ${f.hint}` : ''}`;
}
