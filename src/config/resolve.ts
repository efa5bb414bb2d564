/**
 * From what the user wrote to what the transform needs: defaults merged under per-function overrides, every value
 * checked, and the effective strategy for this stage. Pure: no framework access.
 */
import { invalidSetting, ServerlessError, settingPath } from '../errors';
import { isIntrinsic, type Intrinsic } from '../types/cloudformation';
import { FUNCTION_KEYS, SERVICE_ONLY_KEYS } from './schema';
import { resolveHealthChecks, type HealthChecks } from './health-checks';
import { ACCEPTED_TYPES, parseStrategy, type Strategy } from './strategy';

export const DEFAULT_ALIAS = 'live';

/** What the plugin reads of the service, gathered by the plugin class from the framework. */
export interface ServiceDescription {
  stage: string;
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
   * Why an event of the function cannot reach it through an alias (Lambda@Edge, the framework's EventBridge custom
   * resource), when one cannot: service-wide defaults then leave the function alone, and say so.
   */
  cannotShift?: string;
}

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
}

export interface UntouchedFunction {
  kind: 'untouched';
  name: string;
  reason: string;
  /** A pre- or post-traffic hook of a shifted function. */
  hook?: true;
  /** Left alone although custom.deploymentSettings covers it: an event of it cannot go through an alias. */
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

const ALIAS_NAME = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/;
const LOGICAL_ID = /^[A-Za-z0-9]{1,255}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const POLICY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,512}$/;

type Settings = Record<string, unknown>;

/** Throws a coded ServerlessError naming the function and the key for the first invalid value found. */
export function resolveSettings(service: ServiceDescription): ResolvedSettings {
  const defaults = readSettingsObject(service.defaults, undefined);
  if (defaults) checkKeys(defaults, undefined);
  const permissionsBoundary = defaults?.codeDeployRolePermissionsBoundary;
  if (permissionsBoundary !== undefined)
    checkArnOrIntrinsic(
      permissionsBoundary,
      undefined,
      'codeDeployRolePermissionsBoundary',
      POLICY_ARN,
      'an IAM policy ARN (arn:aws:iam::123456789012:policy/name)',
    );

  const dashboard = defaults?.dashboard ?? false;
  if (typeof dashboard !== 'boolean')
    throw invalidSetting(undefined, 'dashboard', dashboard, 'true or false (default false)');

  const resolved = Object.entries(service.functions).map(([name, fn]) => resolveFunction(name, fn, defaults, service));
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
  const functions = resolved.map((fn): ResolvedFunction =>
    hookOf.has(fn.name)
      ? {
          kind: 'untouched',
          name: fn.name,
          reason: `${(hookOf.get(fn.name) as string[]).join(', ')}; hooks are never shifted`,
          hook: true,
        }
      : fn,
  );
  return {
    stage: service.stage,
    ...(permissionsBoundary !== undefined && { permissionsBoundary: permissionsBoundary as string | Intrinsic }),
    ...(dashboard && { dashboard: true as const }),
    functions,
  };
}

function resolveFunction(
  name: string,
  fn: FunctionDescription,
  defaults: Settings | undefined,
  service: ServiceDescription,
): ResolvedFunction {
  const own = readSettingsObject(fn.settings, name);
  if (own) checkKeys(own, name);
  if (!defaults && !own) {
    return { kind: 'untouched', name, reason: 'no deploymentSettings for it or in custom.deploymentSettings' };
  }
  // Each key is reported where the user wrote it, so the message points at the right line.
  const source = (key: string): string | undefined => (own && key in own ? name : undefined);
  const settings: Settings = { ...defaults, ...own };

  const enabled = settings.enabled ?? true;
  if (typeof enabled !== 'boolean') throw invalidSetting(source('enabled'), 'enabled', enabled, 'true or false');

  const type = settings.type;
  if (type === undefined) {
    throw invalidSetting(name, 'type', type, `${ACCEPTED_TYPES}; set it here or in custom.deploymentSettings`);
  }
  if (typeof type !== 'string') throw invalidSetting(source('type'), 'type', type, ACCEPTED_TYPES);
  const parsed = parseStrategy(type);
  if ('error' in parsed) throw invalidSetting(source('type'), 'type', type, `${ACCEPTED_TYPES} (${parsed.error})`);

  const alias = settings.alias ?? DEFAULT_ALIAS;
  if (typeof alias !== 'string' || !ALIAS_NAME.test(alias)) {
    throw invalidSetting(
      source('alias'),
      'alias',
      alias,
      'a Lambda alias name: 1 to 128 letters, digits, "-" or "_", not only digits (default "live")',
    );
  }

  const stages = settings.stages;
  if (
    stages !== undefined &&
    (!Array.isArray(stages) || stages.length === 0 || !stages.every((s) => typeof s === 'string' && s.length > 0))
  ) {
    throw invalidSetting(
      source('stages'),
      'stages',
      stages,
      'a non-empty list of stage names, e.g. [prod] (default: every stage)',
    );
  }

  const codeDeployRole = settings.codeDeployRole;
  if (codeDeployRole !== undefined) {
    checkArnOrIntrinsic(
      codeDeployRole,
      source('codeDeployRole'),
      'codeDeployRole',
      ROLE_ARN,
      'an IAM role ARN (arn:aws:iam::123456789012:role/name)',
    );
  }

  const allowBypass = settings.allowBypass ?? [];
  if (!Array.isArray(allowBypass) || !allowBypass.every((id) => typeof id === 'string' && LOGICAL_ID.test(id))) {
    throw invalidSetting(
      source('allowBypass'),
      'allowBypass',
      allowBypass,
      'a list of logical ids of resources in the template that may invoke the function without its alias, e.g. [MyCustomResource]',
    );
  }

  const health = resolveHealthChecks(settings, source, { name }, service.functions, {
    blueGreen: parsed.kind === 'blueGreen',
    inPlaceByType: parsed.kind === 'inPlace',
  });

  if (!enabled) return { kind: 'untouched', name, reason: 'deploymentSettings.enabled is false' };
  // Defaults cover every function that can be shifted; settings of the function's own ask for it, and the bypass check
  // then names what stays on the function (allowBypass lets it through).
  if (fn.cannotShift !== undefined && !own) {
    return {
      kind: 'untouched',
      name,
      reason: `${fn.cannotShift}; custom.deploymentSettings leaves it as without the plugin`,
      cannotShift: true,
    };
  }

  const stageListed = stages === undefined || (stages as string[]).includes(service.stage);
  const strategy: Strategy = stageListed ? parsed : { kind: 'inPlace' };
  return {
    kind: 'shifted',
    name,
    logicalId: fn.logicalId,
    normalizedName: fn.normalizedName,
    alias,
    strategy,
    ...(!stageListed && {
      inPlaceReason: `stage "${service.stage}" is not in stages [${(stages as string[]).join(', ')}]`,
    }),
    ...(codeDeployRole !== undefined && { codeDeployRole: codeDeployRole as string | Intrinsic }),
    allowBypass: allowBypass as string[],
    retainVersions: (fn.versionFunction ?? service.versionFunctions) !== false,
    health,
  };
}

function readSettingsObject(value: unknown, functionName: string | undefined): Settings | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ServerlessError(
      `Invalid deployment settings: ${settingPath(functionName)} must be an object of settings (type, alias, stages, ...), not ${JSON.stringify(value)}.`,
      'TRAFFIC_SHIFT_INVALID_SETTING',
    );
  }
  return value as Settings;
}

function checkKeys(settings: Settings, functionName: string | undefined): void {
  const allowed: readonly string[] =
    functionName === undefined ? [...FUNCTION_KEYS, ...SERVICE_ONLY_KEYS] : FUNCTION_KEYS;
  for (const key of Object.keys(settings)) {
    if (allowed.includes(key)) continue;
    const hint = (SERVICE_ONLY_KEYS as readonly string[]).includes(key)
      ? `${key} applies to the whole stack: set it in custom.deploymentSettings`
      : `accepted keys are ${allowed.join(', ')}`;
    throw new ServerlessError(
      `Unknown deployment setting ${settingPath(functionName, key)}${functionName === undefined ? '' : ` (function "${functionName}")`}: ${hint}.`,
      'TRAFFIC_SHIFT_INVALID_SETTING',
    );
  }
}

function checkArnOrIntrinsic(
  value: unknown,
  functionName: string | undefined,
  key: string,
  pattern: RegExp,
  what: string,
): void {
  if (typeof value === 'string' ? pattern.test(value) : isIntrinsic(value)) return;
  throw invalidSetting(
    functionName,
    key,
    value,
    `${what} or a CloudFormation intrinsic function such as Fn::GetAtt or Fn::ImportValue`,
  );
}
