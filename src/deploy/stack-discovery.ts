/**
 * Which deployed resources belong to each function the plugin manages: the function's physical name, its alias,
 * the CodeDeploy application and deployment group. Pure: from the resolved settings and the stack's resource list
 * (CloudFormation ListStackResources) to targets the commands and the progress view act on.
 *
 * CloudFormation names the application and the deployment groups itself (the plugin gives them no fixed names), so
 * their physical ids can only come from the stack. Logical ids come from ../naming.ts.
 */
import type { ResolvedSettings, ShiftedFunction } from '../config/resolve';
import type { HookTarget } from '../config/health-checks';
import { shortName } from '../config/strategy';
import { naming } from '../naming';
import { ServerlessError } from '../errors';
import { deployedAlias } from './alias-takeover';
import type { HookLabels } from './rollout-model';

/** A function the plugin manages, as the service configuration describes it. */
export interface ServiceFunction {
  /** The name in serverless.yml (`api`). */
  name: string;
  /** The framework's normalised name (`Api`), the stem of every logical id. */
  normalizedName: string;
  /** The framework's logical id of the function (`ApiLambdaFunction`). */
  logicalId: string;
  /** The physical name the framework gives the function (`my-service-dev-api`), used when the stack does not say. */
  deployedName: string;
  alias: string;
  /** `InPlace` when this stage moves the alias at once. */
  strategy: string;
  inPlace: boolean;
  inPlaceReason?: string;
  /** Who runs its pre- and post-traffic hooks, in words. */
  hooks: HookLabels;
}

export interface StackResource {
  logicalId: string;
  type: string;
  physicalId?: string;
}

/** A function as deployed: where to read and steer its traffic. */
export interface RolloutTarget {
  name: string;
  normalizedName: string;
  /** The Lambda function's physical name. */
  functionName: string;
  alias: string;
  /** Whether the stack has created the alias (`<Fn>TrafficShiftAlias`, or the id it took over): false before the first deploy with it. */
  aliasInStack: boolean;
  strategy: string;
  inPlace: boolean;
  inPlaceReason?: string;
  hooks: HookLabels;
  /** CodeDeploy names; absent for functions moved in place or not yet deployed with a deployment group. */
  applicationName?: string;
  deploymentGroupName?: string;
}

export function serviceFunctions(
  settings: ResolvedSettings,
  deployedName: (name: string) => string,
): ServiceFunction[] {
  const functions: ServiceFunction[] = [];
  for (const fn of settings.functions) {
    if (fn.kind !== 'shifted') continue;
    functions.push({
      name: fn.name,
      normalizedName: fn.normalizedName,
      logicalId: fn.logicalId,
      deployedName: deployedName(fn.name),
      alias: fn.alias,
      strategy: shortName(fn.strategy),
      inPlace: fn.strategy.kind === 'inPlace',
      ...(fn.inPlaceReason !== undefined && { inPlaceReason: fn.inPlaceReason }),
      hooks: hookLabels(fn),
    });
  }
  return functions;
}

/**
 * Who runs the pre- and post-traffic hooks of a function, in words, from its settings: the same hooks the transform
 * wires into the alias's UpdatePolicy (traffic-hooks.ts), known without a compiled template (`traffic watch`).
 */
export function hookLabels(fn: Pick<ShiftedFunction, 'health'>): HookLabels {
  const { preTrafficHook, postTrafficHook, smokeTests, bakeMinutes } = fn.health;
  const named = (hook: HookTarget): string => `function ${hook.kind === 'function' ? hook.name : hook.functionName}`;
  const before = preTrafficHook
    ? named(preTrafficHook)
    : smokeTests.length > 0
      ? `smoke tests (${naming.smokeTestHook()})`
      : undefined;
  const after = postTrafficHook
    ? named(postTrafficHook)
    : bakeMinutes !== undefined
      ? `bake watching the alarms (${naming.bakeHook()})`
      : undefined;
  return { ...(before && { before }), ...(after && { after }) };
}

/** `arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live` → `live`. */
export function aliasNameOfArn(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length === 8 && parts[5] === 'function' ? parts[7] : undefined;
}

export function discoverTargets(
  functions: readonly ServiceFunction[],
  resources: readonly StackResource[],
): RolloutTarget[] {
  const byLogicalId = new Map(resources.map((r) => [r.logicalId, r]));
  const physical = (logicalId: string): string | undefined => {
    const id = byLogicalId.get(logicalId)?.physicalId;
    return id ? id : undefined;
  };
  const applicationName = physical(naming.application());
  return functions.map((fn) => {
    const functionName = physical(fn.logicalId) ?? fn.deployedName;
    // The plugin's id, or the deployed id its alias took over (alias-takeover.ts).
    const aliasArn =
      physical(naming.alias(fn.normalizedName)) ?? deployedAlias(resources, functionName, fn.alias)?.physicalId;
    const groupName = physical(naming.deploymentGroup(fn.normalizedName));
    return {
      name: fn.name,
      normalizedName: fn.normalizedName,
      functionName,
      alias: (aliasArn && aliasNameOfArn(aliasArn)) ?? fn.alias,
      aliasInStack: aliasArn !== undefined,
      strategy: fn.strategy,
      inPlace: fn.inPlace,
      ...(fn.inPlaceReason !== undefined && { inPlaceReason: fn.inPlaceReason }),
      hooks: fn.hooks,
      ...(!fn.inPlace && applicationName && groupName && { applicationName, deploymentGroupName: groupName }),
    };
  });
}

/** The targets a command acts on: all of them, or the one named by --function. */
export function selectTargets<T extends { name: string }>(
  targets: readonly T[],
  functionName: string | undefined,
): T[] {
  if (functionName === undefined) return [...targets];
  const found = targets.filter((t) => t.name === functionName);
  if (found.length > 0) return found;
  throw new ServerlessError(
    targets.length === 0
      ? `Function "${functionName}": serverless-traffic-shift manages no function of this service in this stage.`
      : `Function "${functionName}" is not managed by serverless-traffic-shift in this stage; managed: ${targets.map((t) => t.name).join(', ')}.`,
    'TRAFFIC_SHIFT_INVALID_OPTION',
  );
}
