/**
 * The bypass check: after the transform, nothing in the template may invoke, or allow invoking, the unqualified
 * function of a shifted function. Traffic sent there skips the alias: it reaches the new code at once and no alarm
 * on the alias sees it. Pure; returns findings, the caller decides how to report them.
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
  // A published version is as direct as the function itself: it runs the new code for all of its traffic.
  const versions = new Map<string, Watched>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const owner =
      resource.Type === 'AWS::Lambda::Version'
        ? byLogicalId.get(refTarget(resource.Properties?.FunctionName) ?? '')
        : undefined;
    if (owner) versions.set(id, owner);
  }

  const findings: BypassFinding[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (NOT_INVOKERS.has(resource.Type)) continue;
    // A function URL or async config on the alias names the function and its qualifier apart: that one property is fine.
    const qualifiedProperty = hasQualifier(resource) ? QUALIFIED_TARGET_PROPERTY[resource.Type] : undefined;
    const moduleHint = eventSourceModule(resource.Type)?.bypassHint;
    const hint =
      (typeof moduleHint === 'function' ? moduleHint(resource) : moduleHint) ??
      (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource'
        ? CUSTOM_RESOURCE_HINT
        : undefined);
    const report = (watched: Watched, path: string): void => {
      if (allowed(watched.fn, logicalId)) return;
      findings.push({
        functionName: watched.fn.name,
        resource: logicalId,
        resourceType: resource.Type,
        path,
        ...(hint && { hint }),
      });
    };
    walk(resource, 'Resource', (node, path, next) => {
      if (qualifiedProperty !== undefined && path === `Resource.Properties.${qualifiedProperty}`) return true;
      // Join parts: `[Fn.Arn, ":live"]` or `[Fn.Arn, ":", "live"]` is qualified; a bare ARN is not.
      const fnRef = functionReference(node, byLogicalId);
      if (fnRef) {
        if (!isQualifiedBy(next)) report(fnRef, path);
        return true;
      }
      const version = versions.get(refTarget(node) ?? '');
      if (version) {
        report(version, path);
        return true;
      }
      if (isObject(node) && node['Fn::Sub'] !== undefined) {
        const text = Array.isArray(node['Fn::Sub']) ? node['Fn::Sub'][0] : node['Fn::Sub'];
        if (typeof text === 'string') {
          // `${Fn}` or `${Fn.Arn}` not followed by a qualifier, reported once per function, in function order.
          const unqualified = new Set(
            [...text.matchAll(/\$\{([A-Za-z0-9]+)(\.Arn)?\}(?!:[A-Za-z0-9_-])/g)].map((m) => m[1] as string),
          );
          if (unqualified.size > 0) {
            for (const [id, watched] of byLogicalId) if (unqualified.has(id)) report(watched, path);
          }
        }
      }
      if (typeof node === 'string') {
        if (node.includes(':function:')) {
          for (const watched of byPhysicalName) {
            if (node === watched.physicalName || mentionsUnqualified(node, watched.physicalName as string, next))
              report(watched, path);
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

function hasQualifier(resource: CfnResource): boolean {
  const property = QUALIFIED_BY_PROPERTY[resource.Type];
  if (property === undefined) return false;
  const qualifier = resource.Properties?.[property];
  return typeof qualifier === 'string' ? isQualifier(qualifier) : isObject(qualifier);
}

function functionReference(node: unknown, watched: Map<string, Watched>): Watched | undefined {
  const id = getAttTarget(node, 'Arn') ?? refTarget(node);
  return id === undefined ? undefined : watched.get(id);
}

/** `next` is what follows the reference inside the same Fn::Join (with its delimiter first), if anything. */
function isQualifiedBy(next: unknown[] | undefined): boolean {
  if (!next || next.length < 2) return false;
  const [delimiter, following] = next;
  if (delimiter === ':' && isObject(following)) return true;
  const text = typeof following === 'string' ? `${delimiter}${following}` : undefined;
  if (text === undefined) return false;
  if (text === ':') {
    const qualifier = next[2];
    return typeof qualifier === 'string' ? isQualifier(qualifier) : isObject(qualifier);
  }
  return text.startsWith(':') && isQualifier(text.slice(1));
}

function isQualifier(text: string): boolean {
  return /^[A-Za-z0-9_-]/.test(text) && !text.startsWith('$LATEST');
}

function mentionsUnqualified(text: string, physicalName: string, next: unknown[] | undefined): boolean {
  const marker = `:function:${physicalName}`;
  for (let index = text.indexOf(marker); index !== -1; index = text.indexOf(marker, index + 1)) {
    const rest = text.slice(index + marker.length);
    if (rest === '') {
      if (!isQualifiedBy(next)) return true;
    } else if (rest.startsWith(':')) {
      if (!isQualifier(rest.slice(1))) return true;
    } else if (!/^[A-Za-z0-9_-]/.test(rest)) {
      // Not the prefix of a longer function name, and no qualifier: the bare function.
      return true;
    }
  }
  return false;
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
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, `${path}[${i}]`, visit));
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'DependsOn' || key === 'Condition' || key === 'Metadata') continue;
    const join =
      key === 'Fn::Join' && Array.isArray(value) && Array.isArray(value[1])
        ? (value as [unknown, unknown[]])
        : undefined;
    if (join) {
      const [delimiter, parts] = join;
      parts.forEach((part, i) => walk(part, `${path}.Fn::Join[1][${i}]`, visit, [delimiter, ...parts.slice(i + 1)]));
      continue;
    }
    walk(value, `${path}.${key}`, visit);
  }
}

export function describeFinding(f: BypassFinding): string {
  return `${f.resource} (${f.resourceType}) at ${f.path} invokes function "${f.functionName}" without its alias${f.hint ? ` — ${f.hint}` : ''}`;
}
