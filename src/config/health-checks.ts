/**
 * The settings that decide whether a rollout continues: alarms, hooks, smoke tests, bake time, rollback rules and
 * triggers. Their values are already checked against the schema (validate.ts); here they are normalised, and the
 * rules the schema cannot say are checked: a hook names a function of the service or a function in the stack's
 * region and account, keys that exclude each other, defaults that need a value. Pure.
 */
import { accepted, describeValue, didYouMean, invalidSetting, settingPath, type SettingPlace } from '../errors';
import type { Intrinsic } from '../types/cloudformation';
import {
  COMPARISON_ALARMS,
  GENERATED_ALARMS,
  type FunctionSettingsInput,
  type GeneratedAlarmInput,
  type GeneratedAlarmKind,
  type SmokeTestInput,
} from './schema';

export { COMPARISON_ALARMS, GENERATED_ALARMS, type GeneratedAlarmKind };
/** Calls each version must have served in a period before a comparison alarm judges it, by default. */
export const DEFAULT_MIN_INVOCATIONS = 100;

export type HookTarget =
  | { kind: 'function'; name: string; logicalId: string; normalizedName: string }
  | { kind: 'arn'; arn: string; functionName: string };

export type AlarmRef = { kind: 'logicalId'; logicalId: string } | { kind: 'name'; name: string };

export interface GeneratedAlarm {
  kind: GeneratedAlarmKind;
  threshold: number;
  evaluationPeriods: number;
  /** Seconds. */
  period: number;
  /** Comparison alarms: calls each version must have served in a period before it is judged. */
  minInvocations?: number;
}

export interface AutoRollback {
  onFailure: boolean;
  /** Undefined: on when the function has alarms. */
  onAlarm?: boolean;
  onManualStop: boolean;
}

export interface Trigger {
  name: string;
  targetArn: string | Intrinsic;
  events: string[];
}

export interface SmokeTestCase {
  name: string;
  payload: unknown;
  expect?: { statusCode?: number; response?: unknown; body?: unknown };
}

export interface HealthChecks {
  preTrafficHook?: HookTarget;
  postTrafficHook?: HookTarget;
  alarms: AlarmRef[];
  newVersionAlarms: GeneratedAlarm[];
  autoRollback: AutoRollback;
  triggers: Trigger[];
  smokeTests: SmokeTestCase[];
  /** Minutes to keep watching alarms after all traffic moved. */
  bakeMinutes?: number;
}

/** How a function of the service is known to the transform. */
export interface FunctionIdentity {
  logicalId: string;
  normalizedName: string;
}

/** Where the stack is deployed, as far as the package step knows it. */
export interface StackLocation {
  region?: string;
  accountId?: string;
}

/** CodeDeploy lets a hook report for at most an hour; leave room for the smoke tests and the report itself. */
export const MAX_BAKE_MINUTES = 55;
export const DEFAULT_BLUE_GREEN_BAKE_MINUTES = 10;
export const MAX_ALARMS_PER_GROUP = 10;
const MAX_ALARM_WINDOW_SECONDS = 86400;

const DEFAULT_THRESHOLDS: Record<GeneratedAlarmKind, number | undefined> = {
  errors: 1,
  errorRate: 5,
  throttles: 1,
  p99Duration: undefined,
  errorRateVsPrevious: 5,
  durationVsPrevious: 1.5,
};
const DEFAULT_ON: Record<GeneratedAlarmKind, boolean> = {
  errors: true,
  errorRate: false,
  throttles: false,
  p99Duration: false,
  errorRateVsPrevious: false,
  durationVsPrevious: false,
};

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,64})(:[A-Za-z0-9_$-]+)?$/;

export type Place = (key: string) => SettingPlace;
export type Hooks = Pick<HealthChecks, 'preTrafficHook' | 'postTrafficHook'>;

/**
 * The hooks a function's settings name, each a function of the service or an existing function in the stack's
 * region and account (CodeDeploy calls a hook by name, so the template can only name a function there).
 */
export function resolveHooks(
  settings: FunctionSettingsInput,
  place: Place,
  functions: Record<string, FunctionIdentity>,
  stack: StackLocation,
): Hooks {
  const pre = resolveHook(settings.preTrafficHook, 'preTrafficHook', place, functions, stack);
  const post = resolveHook(settings.postTrafficHook, 'postTrafficHook', place, functions, stack);
  return { ...(pre && { preTrafficHook: pre }), ...(post && { postTrafficHook: post }) };
}

function resolveHook(
  value: string | undefined,
  key: 'preTrafficHook' | 'postTrafficHook',
  place: Place,
  functions: Record<string, FunctionIdentity>,
  stack: StackLocation,
): HookTarget | undefined {
  if (value === undefined) return undefined;
  // Own keys only: `toString` or `__proto__` would otherwise find Object.prototype members and pass for functions.
  const fn = Object.prototype.hasOwnProperty.call(functions, value) ? functions[value] : undefined;
  if (fn) return { kind: 'function', name: value, ...fn };
  const names = Object.keys(functions);
  const arn = LAMBDA_ARN.exec(value);
  if (!arn) {
    const reason = value.startsWith('arn:')
      ? `is ${describeValue(value)}, which is not the ARN of a Lambda function (arn:aws:lambda:<region>:<account>:function:<name>)`
      : `is ${describeValue(value)}, which is not a function of this service`;
    throw invalidSetting(
      place(key),
      key,
      reason,
      `${didYouMean(value, names)}${accepted(`the name of a function in this service (${names.join(', ')}) or the ARN of an existing Lambda function in the same account and region`)}`,
    );
  }
  const [, region, account, name, qualifier] = arn as unknown as [string, string, string, string, string | undefined];
  // CodeDeploy calls hooks by name (with the qualifier, when the ARN has one) in the deployment's account and region:
  // an ARN elsewhere would call a function of the same name in the stack's region, or none.
  const elsewhere = [
    ...(stack.region !== undefined && region !== stack.region
      ? [`region ${region}, not the stack's ${stack.region}`]
      : []),
    ...(stack.accountId !== undefined && account !== stack.accountId
      ? [`account ${account}, not the stack's ${stack.accountId}`]
      : []),
  ];
  if (elsewhere.length > 0) {
    throw invalidSetting(
      place(key),
      key,
      `names a function in ${elsewhere.join(' and ')}: CodeDeploy calls a hook by name in the stack's own account and region, so it would call another function or none`,
      'Name a function of this service, or of the same account and region; a check elsewhere can be called from such a hook.',
    );
  }
  return { kind: 'arn', arn: value, functionName: `${name}${qualifier ?? ''}` };
}

export function resolveHealthChecks(
  settings: FunctionSettingsInput,
  place: Place,
  fn: { name: string },
  hooks: Hooks,
  shifting: { blueGreen: boolean; inPlaceByType: boolean },
): HealthChecks {
  for (const key of ['preTrafficHook', 'postTrafficHook'] as const) {
    const hook = hooks[key];
    if (hook?.kind === 'function' && hook.name === fn.name) {
      throw invalidSetting(
        place(key),
        key,
        `names "${fn.name}" itself: a hook checks the new version of the function it belongs to, so it cannot be that function`,
        'Name another function of the service, or an existing function by ARN.',
      );
    }
  }
  const smokeTests = resolveSmokeTests(settings.smokeTest);
  if (smokeTests.length > 0 && hooks.preTrafficHook) {
    throw invalidSetting(
      place('smokeTest'),
      'smokeTest',
      `is set together with ${settingPath(place('preTrafficHook'), 'preTrafficHook')}: both run before traffic moves, and CodeDeploy runs one pre-traffic hook`,
      'Invoke your own checks from your hook, or drop preTrafficHook to let the plugin run the smoke tests.',
    );
  }
  const bakeMinutes = resolveBakeTime(settings.bakeTime, place, shifting);
  if (bakeMinutes !== undefined && hooks.postTrafficHook) {
    if (settings.bakeTime === undefined) {
      throw invalidSetting(
        place('postTrafficHook'),
        'postTrafficHook',
        `is set, and type BlueGreen bakes ${DEFAULT_BLUE_GREEN_BAKE_MINUTES} minutes as the post-traffic hook: CodeDeploy runs one post-traffic hook`,
        'Run your checks from a preTrafficHook, or choose AllAtOnce to keep postTrafficHook.',
      );
    }
    throw invalidSetting(
      place('bakeTime'),
      'bakeTime',
      `is set together with ${settingPath(place('postTrafficHook'), 'postTrafficHook')}: the bake runs as the post-traffic hook, and CodeDeploy runs one`,
      `Run your checks in your hook, or drop postTrafficHook${shifting.blueGreen ? ' (BlueGreen always bakes)' : ''}.`,
    );
  }
  return {
    ...hooks,
    alarms: (settings.alarms ?? []).map((item): AlarmRef =>
      typeof item === 'string' ? { kind: 'logicalId', logicalId: item } : { kind: 'name', name: item.name },
    ),
    newVersionAlarms: resolveGeneratedAlarms(settings.newVersionAlarms, place),
    autoRollback: {
      onFailure: settings.autoRollback?.onFailure ?? true,
      ...(settings.autoRollback?.onAlarm !== undefined && { onAlarm: settings.autoRollback.onAlarm }),
      onManualStop: settings.autoRollback?.onManualStop ?? true,
    },
    triggers: (settings.triggerConfigurations ?? []).map((t) => ({
      name: t.TriggerName,
      targetArn: t.TriggerTargetArn as string | Intrinsic,
      events: [...t.TriggerEvents],
    })),
    smokeTests,
    ...(bakeMinutes !== undefined && { bakeMinutes }),
  };
}

function resolveGeneratedAlarms(value: FunctionSettingsInput['newVersionAlarms'], place: Place): GeneratedAlarm[] {
  if (value === false) return [];
  const given: Partial<Record<GeneratedAlarmKind, GeneratedAlarmInput>> =
    value === undefined || value === true ? {} : value;
  return GENERATED_ALARMS.flatMap((kind) => {
    const spec = given[kind] ?? DEFAULT_ON[kind];
    return spec === false ? [] : [generatedAlarm(kind, spec, place)];
  });
}

function generatedAlarm(
  kind: GeneratedAlarmKind,
  spec: Exclude<GeneratedAlarmInput, false>,
  place: Place,
): GeneratedAlarm {
  const key = `newVersionAlarms.${kind}`;
  const options: { threshold?: number; evaluationPeriods?: number; period?: number; minInvocations?: number } =
    typeof spec === 'number' ? { threshold: spec } : spec === true ? {} : spec;
  const threshold = options.threshold ?? DEFAULT_THRESHOLDS[kind];
  if (threshold === undefined) {
    throw invalidSetting(
      place('newVersionAlarms'),
      key,
      `is ${describeValue(spec)}, but ${kind} has no default threshold`,
      `Say how much is too much: a threshold, e.g. ${kind}: 1000, or { threshold: 1000 }.`,
    );
  }
  const evaluationPeriods = options.evaluationPeriods ?? 1;
  const period = options.period ?? 60;
  if (period * evaluationPeriods > MAX_ALARM_WINDOW_SECONDS) {
    throw invalidSetting(
      place('newVersionAlarms'),
      `${key}.period`,
      `is ${period} with evaluationPeriods ${evaluationPeriods}: ${period * evaluationPeriods} seconds, more than the day CloudWatch evaluates at most`,
      accepted('period × evaluationPeriods at most 86400 seconds'),
    );
  }
  if (!(COMPARISON_ALARMS as readonly string[]).includes(kind)) return { kind, threshold, evaluationPeriods, period };
  return {
    kind,
    threshold,
    evaluationPeriods,
    period,
    minInvocations: options.minInvocations ?? DEFAULT_MIN_INVOCATIONS,
  };
}

function resolveSmokeTests(value: FunctionSettingsInput['smokeTest']): SmokeTestCase[] {
  if (value === undefined) return [];
  const cases: readonly SmokeTestInput[] = Array.isArray(value) ? value : [value as SmokeTestInput];
  return cases.map((item, i) => ({
    name: item.name ?? `test ${i + 1}`,
    payload: item.payload ?? {},
    ...(item.expect !== undefined && { expect: item.expect as SmokeTestCase['expect'] }),
  }));
}

function resolveBakeTime(
  value: number | undefined,
  place: Place,
  shifting: { blueGreen: boolean; inPlaceByType: boolean },
): number | undefined {
  if (value === undefined) return shifting.blueGreen ? DEFAULT_BLUE_GREEN_BAKE_MINUTES : undefined;
  if (shifting.inPlaceByType) {
    throw invalidSetting(
      place('bakeTime'),
      'bakeTime',
      `is ${value} with type InPlace: nothing watches an in-place deploy`,
      'Choose BlueGreen, AllAtOnce, a canary or a linear type, or drop bakeTime.',
    );
  }
  return value;
}
