/**
 * From what the user wrote to what the transform needs: each settings object checked against the schema where it
 * was written (validate.ts), defaults merged under per-function overrides, the rules that combine keys or need the
 * service checked, and the effective strategy for this stage. Pure: no framework access.
 */
import { omit } from 'lodash';
import { accepted, describeValue, invalidSetting, placeOf, type SettingPlace } from '../errors';
import type { Intrinsic } from '../types/cloudformation';
import { naming } from '../naming';
import type { OutsidePermission } from './callers';
import { resolveHealthChecks, resolveHooks, type HealthChecks, type StackLocation } from './health-checks';
import { SERVICE_ONLY_KEYS, type FunctionSettingsInput, type ServiceSettingsInput } from './schema';
import { ACCEPTED_TYPES, parseStrategy, shiftDurationMinutes, type Strategy } from './strategy';
import { validateFunctionSettings, validateServiceSettings } from './validate';

export const DEFAULT_ALIAS = 'live';

/** What the plugin reads of the service, gathered by the plugin class from the framework. */
export interface ServiceDescription {
  stage: string;
  /** `provider.region`, when known: a hook given by ARN must be in it. */
  region?: string;
  /** The AWS account the stack deploys to: known during `sls deploy`, never asked for by `sls package`. */
  accountId?: string;
  /** `provider.versionFunctions` as the user set it (the framework's default is true). */
  versionFunctions: boolean;
  /** `custom.deploymentSettings`, undefined when absent. */
  defaults: unknown;
  functions: Record<string, FunctionDescription>;
}

export interface FunctionDescription {
  /** `functions.<name>.deploymentSettings`, undefined when absent. */
  settings: unknown;
  /** `functions.<name>.versionFunction`, undefined when absent. */
  versionFunction?: boolean;
  /** The framework's logical id of the function (`ApiLambdaFunction`). */
  logicalId: string;
  /** The framework's normalised function name (`Api`), the stem of every id the plugin adds for it. */
  normalizedName: string;
  /**
   * Why a caller of the function cannot reach it through an alias (Lambda@Edge, the framework's EventBridge custom
   * resource, a permission for a caller configured outside the stack), when one cannot: service-wide defaults then
   * leave the function alone, and say so.
   */
  cannotShift?: string;
  /** Permissions of `resources:` for callers configured outside the stack, which name the function itself (callers.ts). */
  outsideCallers?: OutsidePermission[];
  /** The deployed function name (`svc-dev-api`), when known. */
  deployedName?: string;
  /** What its events in serverless.yml say about how often it runs (see callers.ts); undefined when unknown. */
  traffic?: TrafficFacts;
}

/** How often a function's events invoke it. */
export type TrafficFacts =
  | { kind: 'none' }
  | {
      kind: 'schedules';
      /** The shortest time between two runs, in minutes. */ everyMinutes: number;
      expression: string;
    };

export interface ShiftedFunction {
  kind: 'shifted';
  name: string;
  logicalId: string;
  normalizedName: string;
  alias: string;
  /** What runs in this stage: `inPlace` when the stage is not listed in `stages`. */
  strategy: Strategy;
  /** Why the strategy differs from `type`, when it does. */
  inPlaceReason?: string;
  codeDeployRole?: string | Intrinsic;
  /** Logical ids of resources allowed to invoke the unqualified function (a deliberate exception to the bypass check). */
  allowBypass: string[];
  /** False when the user turned versioning off: old versions are then deleted after a successful update. */
  retainVersions: boolean;
  health: HealthChecks;
  /** The keys the function's own deploymentSettings hold; the others come from custom.deploymentSettings. */
  ownKeys: string[];
  /** What the plan should tell about the function that does not stop the build. */
  notes?: string[];
}

export interface UntouchedFunction {
  kind: 'untouched';
  name: string;
  reason: string;
  /** A pre- or post-traffic hook of a shifted function, or a function the defaults name as a hook. */
  hook?: true;
  /** Left alone although custom.deploymentSettings covers it: a caller of it cannot go through an alias. */
  cannotShift?: true;
}

export type ResolvedFunction = ShiftedFunction | UntouchedFunction;

export interface ResolvedSettings {
  stage: string;
  permissionsBoundary?: string | Intrinsic;
  /** `dashboard: true`: a CloudWatch dashboard of the new versions against the previous ones. */
  dashboard?: true;
  functions: ResolvedFunction[];
}

/** Where a value of `fn`'s settings was written, for messages of the transform's own checks. */
export const whereWritten = (fn: ShiftedFunction, key: string): SettingPlace => placeOf(fn.name, fn.ownKeys, key);

/** Throws a coded ServerlessError naming where the first invalid value was written. */
export function resolveSettings(service: ServiceDescription): ResolvedSettings {
  const defaults = validateServiceSettings(service.defaults);
  const stack: StackLocation = {
    ...(service.region !== undefined && { region: service.region }),
    ...(service.accountId !== undefined && { accountId: service.accountId }),
  };
  // The defaults' own values, checked once where they are written (not once per function that inherits them).
  if (defaults) {
    checkType(defaults.type, {});
    resolveHooks(defaults, () => ({}), service.functions, stack);
  }
  // A function the defaults name as a hook is the hook of every function they cover: not one of them.
  const hookKeys = (['preTrafficHook', 'postTrafficHook'] as const).filter(
    (key) => defaults?.[key] !== undefined && Object.prototype.hasOwnProperty.call(service.functions, defaults[key]),
  );
  const namedByDefaults = (name: string): string[] => hookKeys.filter((key) => defaults?.[key] === name);

  const resolved = Object.entries(service.functions).map(([name, fn]) =>
    resolveFunction(name, fn, defaults, namedByDefaults(name), service, stack),
  );
  // A hook checks other functions' new versions: it is never shifted itself.
  const hookOf = new Map<string, string[]>();
  for (const fn of resolved) {
    if (fn.kind !== 'shifted') continue;
    for (const [phase, hook] of [
      ['pre', fn.health.preTrafficHook],
      ['post', fn.health.postTrafficHook],
    ] as const) {
      if (hook?.kind !== 'function') continue;
      hookOf.set(hook.name, [...(hookOf.get(hook.name) ?? []), `${phase}-traffic hook of ${fn.name}`]);
    }
  }
  const functions = resolved.map((fn): ResolvedFunction => {
    const roles = hookOf.get(fn.name);
    if (!roles) return fn;
    const exempt = namedByDefaults(fn.name);
    return {
      kind: 'untouched',
      name: fn.name,
      reason:
        `${roles.join(', ')}; hooks are never shifted` + (exempt.length > 0 ? `, and ${exemptionWords(exempt)}` : ''),
      hook: true,
    };
  });
  const permissionsBoundary = defaults?.codeDeployRolePermissionsBoundary;
  return {
    stage: service.stage,
    ...(permissionsBoundary !== undefined && { permissionsBoundary: permissionsBoundary as string | Intrinsic }),
    ...(defaults?.dashboard === true && { dashboard: true as const }),
    functions,
  };
}

const exemptionWords = (keys: readonly string[]): string =>
  `custom.deploymentSettings.${keys.join(' and .')} ${keys.length > 1 ? 'name' : 'names'} it, so those defaults do not apply to it`;

function checkType(type: string | undefined, place: SettingPlace): Strategy | undefined {
  if (type === undefined) return undefined;
  const parsed = parseStrategy(type);
  if (!('error' in parsed)) return parsed;
  throw invalidSetting(
    place,
    'type',
    `is ${describeValue(type)}, ${parsed.error}`,
    `${parsed.suggestion !== undefined ? `Did you mean "${parsed.suggestion}"? ` : ''}${accepted(ACCEPTED_TYPES)}`,
  );
}

function resolveFunction(
  name: string,
  fn: FunctionDescription,
  defaults: ServiceSettingsInput | undefined,
  namedAsHookBy: string[],
  service: ServiceDescription,
  stack: StackLocation,
): ResolvedFunction {
  const own = validateFunctionSettings(fn.settings, name);
  const inherited: FunctionSettingsInput | undefined =
    defaults && namedAsHookBy.length === 0 ? omit(defaults, SERVICE_ONLY_KEYS) : undefined;
  if (!inherited && !own) {
    return {
      kind: 'untouched',
      name,
      reason:
        namedAsHookBy.length > 0
          ? exemptionWords(namedAsHookBy)
          : 'no deploymentSettings for it or in custom.deploymentSettings',
      ...(namedAsHookBy.length > 0 && { hook: true as const }),
    };
  }
  // Each value is reported where the user wrote it, so the message points at the right line.
  const ownKeys = Object.keys(own ?? {});
  const place = (key: string): SettingPlace => placeOf(name, ownKeys, key);
  const settings: FunctionSettingsInput = { ...inherited, ...own };

  // Values that stand on their own are checked for every function, disabled ones too: a typo never waits for the day
  // the function is enabled. Rules that combine keys apply to the functions that are shifted.
  const parsed = checkType(settings.type, place('type'));
  const hooks = resolveHooks(settings, place, service.functions, stack);

  if (settings.enabled === false) return { kind: 'untouched', name, reason: 'deploymentSettings.enabled is false' };
  // Defaults cover every function that can be shifted; settings of the function's own ask for it, and the bypass check
  // then names what stays on the function (allowBypass lets it through).
  const cannotShift = fn.cannotShift ?? outsideCallerWords(fn, settings.alias ?? DEFAULT_ALIAS, service);
  if (cannotShift !== undefined && !own) {
    return {
      kind: 'untouched',
      name,
      reason: `${cannotShift}; custom.deploymentSettings leaves it as without the plugin`,
      cannotShift: true,
    };
  }
  if (!parsed) {
    throw invalidSetting(
      { function: name, own: own !== undefined },
      'type',
      'is missing: a shifted function needs a deployment type',
      `Set type in functions.${name}.deploymentSettings or custom.deploymentSettings, or enabled: false in functions.${name}.deploymentSettings to leave the function alone. ${accepted(ACCEPTED_TYPES)}`,
    );
  }

  const health = resolveHealthChecks(settings, place, { name }, hooks, {
    blueGreen: parsed.kind === 'blueGreen',
    inPlaceByType: parsed.kind === 'inPlace',
  });

  const stages = settings.stages;
  const stageListed = stages === undefined || stages.includes(service.stage);
  const strategy: Strategy = stageListed ? parsed : { kind: 'inPlace' };
  const notes = trafficNotes(name, fn.traffic, strategy, health);
  return {
    kind: 'shifted',
    name,
    logicalId: fn.logicalId,
    normalizedName: fn.normalizedName,
    alias: settings.alias ?? DEFAULT_ALIAS,
    strategy,
    ...(!stageListed && {
      inPlaceReason: `stage "${service.stage}" is not in stages [${(stages as string[]).join(', ')}]`,
    }),
    ...(settings.codeDeployRole !== undefined && { codeDeployRole: settings.codeDeployRole as string | Intrinsic }),
    allowBypass: [...(settings.allowBypass ?? [])],
    retainVersions: (fn.versionFunction ?? service.versionFunctions) !== false,
    health,
    ownKeys,
    ...(notes.length > 0 && { notes }),
  };
}

/** A caller configured outside the stack, in words: the permission, and the alias ARN to point the caller at. */
function outsideCallerWords(fn: FunctionDescription, alias: string, service: ServiceDescription): string | undefined {
  const permissions = fn.outsideCallers ?? [];
  if (permissions.length === 0) return undefined;
  const partition = service.region?.startsWith('cn-')
    ? 'aws-cn'
    : service.region?.startsWith('us-gov-')
      ? 'aws-us-gov'
      : 'aws';
  const arn = `arn:${partition}:lambda:${service.region ?? '<region>'}:${service.accountId ?? '<account>'}:function:${fn.deployedName ?? '<function name>'}:${alias}`;
  const list = permissions.map((p) => `${p.logicalId} (${p.principal})`).join(', ');
  return (
    `${permissions.length > 1 ? 'permissions' : 'permission'} ${list} in resources let a caller configured outside the stack invoke the function itself, and the plugin cannot point that caller at the alias. ` +
    `To shift it, point the caller at ${arn} and the permission's FunctionName at the alias (Ref: ${naming.alias(fn.normalizedName)}), then give the function deploymentSettings of its own`
  );
}

/**
 * The alarms judge a new version by the invocations it serves while they watch (until all traffic moved, and the
 * bake). A function whose events run it less often than that gives them nothing to judge; the plan says so.
 */
function trafficNotes(
  name: string,
  traffic: TrafficFacts | undefined,
  strategy: Strategy,
  health: HealthChecks,
): string[] {
  if (!traffic || health.smokeTests.length > 0 || health.preTrafficHook) return [];
  if (strategy.kind === 'inPlace') return [];
  const watchedMinutes = shiftDurationMinutes(strategy) + (health.bakeMinutes ?? 0);
  if (watchedMinutes === 0) return [];
  const advice = 'add smokeTest (or a preTrafficHook) to invoke the new version before traffic moves';
  if (traffic.kind === 'none') {
    return [
      `no event in serverless.yml invokes ${name}: unless other code calls it in the ${watchedMinutes} minutes the alarms watch, they see no invocation of the new version before it takes all traffic; ${advice}`,
    ];
  }
  if (traffic.everyMinutes <= watchedMinutes) return [];
  return [
    `${name} runs only on ${traffic.expression}, at most once every ${traffic.everyMinutes} minutes, and the alarms watch the new version for ${watchedMinutes}: they will likely see no invocation of it before it takes all traffic; ${advice}`,
  ];
}
