/**
 * The settings that decide whether a rollout continues: alarms, hooks, smoke tests, bake time, rollback rules and
 * triggers. Checked and normalised here, with the same error conventions as the rest of the settings. Pure.
 */
import { invalidSetting } from '../errors';
import { isIntrinsic, type Intrinsic } from '../types/cloudformation';

export type HookTarget =
  | { kind: 'function'; name: string; logicalId: string; normalizedName: string }
  | { kind: 'arn'; arn: string; functionName: string };

export type AlarmRef = { kind: 'logicalId'; logicalId: string } | { kind: 'name'; name: string };

export const GENERATED_ALARMS = [
  'errors',
  'errorRate',
  'throttles',
  'p99Duration',
  'errorRateVsPrevious',
  'durationVsPrevious',
] as const;
export type GeneratedAlarmKind = (typeof GENERATED_ALARMS)[number];
/** The alarms that compare the new version with the previous one, judged once each served `minInvocations`. */
export const COMPARISON_ALARMS: readonly GeneratedAlarmKind[] = ['errorRateVsPrevious', 'durationVsPrevious'];
export const DEFAULT_MIN_INVOCATIONS = 100;

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

/** CodeDeploy lets a hook report for at most an hour; leave room for the smoke tests and the report itself. */
export const MAX_BAKE_MINUTES = 55;
export const DEFAULT_BLUE_GREEN_BAKE_MINUTES = 10;
export const MAX_ALARMS_PER_GROUP = 10;

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

const TRIGGER_EVENTS = [
  'DeploymentStart',
  'DeploymentSuccess',
  'DeploymentFailure',
  'DeploymentStop',
  'DeploymentRollback',
  'DeploymentReady',
  'InstanceStart',
  'InstanceSuccess',
  'InstanceFailure',
  'InstanceReady',
];

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]{1,64})(:[A-Za-z0-9_$-]+)?$/;
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const LOGICAL_ID = /^[A-Za-z0-9]{1,255}$/;

type Source = (key: string) => string | undefined;
type Settings = Record<string, unknown>;

export function resolveHealthChecks(
  settings: Settings,
  source: Source,
  fn: { name: string },
  functions: Record<string, FunctionIdentity>,
  shifting: { blueGreen: boolean; inPlaceByType: boolean },
): HealthChecks {
  const preTrafficHook = resolveHook(settings, 'preTrafficHook', source, fn.name, functions);
  const postTrafficHook = resolveHook(settings, 'postTrafficHook', source, fn.name, functions);
  const smokeTests = resolveSmokeTests(settings.smokeTest, source);
  if (smokeTests.length > 0 && preTrafficHook) {
    throw invalidSetting(
      source('smokeTest'),
      'smokeTest',
      settings.smokeTest,
      'either smokeTest or preTrafficHook, not both: both run before traffic moves and CodeDeploy allows one such hook; ' +
        'invoke your own checks from your hook, or drop preTrafficHook to let the plugin run the smoke tests',
    );
  }
  const bakeMinutes = resolveBakeTime(settings.bakeTime, source, shifting);
  if (bakeMinutes !== undefined && postTrafficHook) {
    throw invalidSetting(
      source('bakeTime'),
      'bakeTime',
      settings.bakeTime,
      'no bakeTime together with postTrafficHook: the bake runs as the post-traffic hook, and CodeDeploy allows one; ' +
        `run your checks in your hook, or drop postTrafficHook${shifting.blueGreen ? ' (BlueGreen always bakes)' : ''}`,
    );
  }
  return {
    ...(preTrafficHook && { preTrafficHook }),
    ...(postTrafficHook && { postTrafficHook }),
    alarms: resolveAlarmRefs(settings.alarms, source),
    newVersionAlarms: resolveGeneratedAlarms(settings.newVersionAlarms, source),
    autoRollback: resolveAutoRollback(settings.autoRollback, source),
    triggers: resolveTriggers(settings.triggerConfigurations, source),
    smokeTests,
    ...(bakeMinutes !== undefined && { bakeMinutes }),
  };
}

function resolveHook(
  settings: Settings,
  key: 'preTrafficHook' | 'postTrafficHook',
  source: Source,
  self: string,
  functions: Record<string, FunctionIdentity>,
): HookTarget | undefined {
  const value = settings[key];
  if (value === undefined) return undefined;
  const expected = `the name of a function in this service (${Object.keys(functions).join(', ')}) or the ARN of an existing Lambda function in the same account and region`;
  if (typeof value !== 'string') throw invalidSetting(source(key), key, value, expected);
  if (value === self)
    throw invalidSetting(
      source(key),
      key,
      value,
      `a function other than "${self}" itself: a hook checks the function it belongs to`,
    );
  // Own keys only: `toString` or `__proto__` would otherwise find Object.prototype members and pass for functions.
  const fn = Object.prototype.hasOwnProperty.call(functions, value) ? functions[value] : undefined;
  if (fn) return { kind: 'function', name: value, ...fn };
  const arn = LAMBDA_ARN.exec(value);
  // CodeDeploy calls hooks by name (with the qualifier, when the ARN has one) in the deployment's account and region.
  if (arn) return { kind: 'arn', arn: value, functionName: `${arn[1] as string}${arn[2] ?? ''}` };
  throw invalidSetting(source(key), key, value, expected);
}

function resolveAlarmRefs(value: unknown, source: Source): AlarmRef[] {
  if (value === undefined) return [];
  const expected =
    'a list whose items are logical ids of AWS::CloudWatch::Alarm resources in the template, or { name: <existing alarm name> }';
  if (!Array.isArray(value)) throw invalidSetting(source('alarms'), 'alarms', value, expected);
  return value.map((item): AlarmRef => {
    if (typeof item === 'string' && LOGICAL_ID.test(item)) return { kind: 'logicalId', logicalId: item };
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      const { name, ...rest } = item as Record<string, unknown>;
      if (typeof name === 'string' && name.length > 0 && name.length <= 255 && Object.keys(rest).length === 0)
        return { kind: 'name', name };
    }
    throw invalidSetting(source('alarms'), 'alarms', item, expected);
  });
}

function resolveGeneratedAlarms(value: unknown, source: Source): GeneratedAlarm[] {
  const key = 'newVersionAlarms';
  if (value === false) return [];
  const given = value === undefined || value === true ? {} : value;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw invalidSetting(source(key), key, value, `false, or an object with any of ${GENERATED_ALARMS.join(', ')}`);
  }
  const entries = given as Record<string, unknown>;
  for (const name of Object.keys(entries)) {
    if (!(GENERATED_ALARMS as readonly string[]).includes(name)) {
      throw invalidSetting(
        source(key),
        `${key}.${name}`,
        entries[name],
        `no such alarm; the generated alarms are ${GENERATED_ALARMS.join(', ')}`,
      );
    }
  }
  return GENERATED_ALARMS.flatMap((kind) => {
    const spec = entries[kind] ?? DEFAULT_ON[kind];
    return spec === false ? [] : [generatedAlarm(kind, spec, source)];
  });
}

function generatedAlarm(kind: GeneratedAlarmKind, spec: unknown, source: Source): GeneratedAlarm {
  const key = `newVersionAlarms.${kind}`;
  const comparison = COMPARISON_ALARMS.includes(kind);
  const optionNames = ['threshold', ...(comparison ? ['minInvocations'] : []), 'evaluationPeriods', 'period'];
  const shape = `true, false, a threshold number, or { ${optionNames.join(', ')} }`;
  const options: Record<string, unknown> =
    typeof spec === 'number' ? { threshold: spec } : spec === true ? {} : (spec as Record<string, unknown>);
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw invalidSetting(source('newVersionAlarms'), key, spec, shape);
  for (const option of Object.keys(options)) {
    if (!optionNames.includes(option)) {
      throw invalidSetting(
        source('newVersionAlarms'),
        `${key}.${option}`,
        options[option],
        `one of ${optionNames.join(', ')} (${shape})`,
      );
    }
  }
  const threshold = options.threshold ?? DEFAULT_THRESHOLDS[kind];
  const limits: Record<GeneratedAlarmKind, [number, number, string]> = {
    errors: [1, 1e9, 'a whole number of errors of at least 1 (default 1: any error)'],
    errorRate: [0.01, 100, 'a percentage of invocations above 0 and at most 100 (default 5)'],
    throttles: [1, 1e9, 'a whole number of throttled requests of at least 1 (default 1)'],
    p99Duration: [
      1,
      900000,
      'milliseconds, from 1 to 900000 (no default: say how slow is too slow, e.g. p99Duration: 1000)',
    ],
    errorRateVsPrevious: [
      0,
      99,
      "percentage points by which the new version's error rate may exceed the previous version's, from 0 to 99 (default 5)",
    ],
    durationVsPrevious: [
      1.05,
      100,
      "a ratio of the new version's average duration to the previous version's, from 1.05 to 100 (default 1.5: half again as slow)",
    ],
  };
  const [min, max, what] = limits[kind];
  if (
    typeof threshold !== 'number' ||
    !Number.isFinite(threshold) ||
    threshold < min ||
    threshold > max ||
    ((kind === 'errors' || kind === 'throttles') && !Number.isInteger(threshold))
  ) {
    throw invalidSetting(source('newVersionAlarms'), `${key}.threshold`, threshold, what);
  }
  const evaluationPeriods = options.evaluationPeriods ?? 1;
  if (
    typeof evaluationPeriods !== 'number' ||
    !Number.isInteger(evaluationPeriods) ||
    evaluationPeriods < 1 ||
    evaluationPeriods > 100
  ) {
    throw invalidSetting(
      source('newVersionAlarms'),
      `${key}.evaluationPeriods`,
      evaluationPeriods,
      'a whole number from 1 to 100 (default 1)',
    );
  }
  const period = options.period ?? 60;
  if (
    typeof period !== 'number' ||
    !Number.isInteger(period) ||
    !((!comparison && (period === 10 || period === 30)) || (period >= 60 && period % 60 === 0)) ||
    period * evaluationPeriods > 86400
  ) {
    throw invalidSetting(
      source('newVersionAlarms'),
      `${key}.period`,
      period,
      comparison
        ? "seconds, a multiple of 60 (Lambda's metrics are per minute), with period × evaluationPeriods at most one day (default 60)"
        : 'seconds: 10, 30 or a multiple of 60, with period × evaluationPeriods at most one day (default 60)',
    );
  }
  if (!comparison) return { kind, threshold, evaluationPeriods, period };
  const minInvocations = options.minInvocations ?? DEFAULT_MIN_INVOCATIONS;
  if (
    typeof minInvocations !== 'number' ||
    !Number.isInteger(minInvocations) ||
    minInvocations < 1 ||
    minInvocations > 1000000
  ) {
    throw invalidSetting(
      source('newVersionAlarms'),
      `${key}.minInvocations`,
      minInvocations,
      `a whole number of calls from 1 to 1000000 that each version must have served in a period before it is judged (default ${DEFAULT_MIN_INVOCATIONS})`,
    );
  }
  return { kind, threshold, evaluationPeriods, period, minInvocations };
}

function resolveAutoRollback(value: unknown, source: Source): AutoRollback {
  const expected =
    'an object with any of onFailure (default true), onAlarm (default true when there are alarms), onManualStop (default true), each true or false';
  if (value === undefined) return { onFailure: true, onManualStop: true };
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidSetting(source('autoRollback'), 'autoRollback', value, expected);
  const given = value as Record<string, unknown>;
  for (const [option, flag] of Object.entries(given)) {
    if (!['onFailure', 'onAlarm', 'onManualStop'].includes(option) || typeof flag !== 'boolean') {
      throw invalidSetting(source('autoRollback'), `autoRollback.${option}`, flag, expected);
    }
  }
  return {
    onFailure: (given.onFailure as boolean | undefined) ?? true,
    ...(given.onAlarm !== undefined && { onAlarm: given.onAlarm as boolean }),
    onManualStop: (given.onManualStop as boolean | undefined) ?? true,
  };
}

function resolveTriggers(value: unknown, source: Source): Trigger[] {
  const key = 'triggerConfigurations';
  const expected = `a list of { TriggerName, TriggerTargetArn (an SNS topic ARN or intrinsic function), TriggerEvents (a list of ${TRIGGER_EVENTS.join(', ')}) }`;
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidSetting(source(key), key, value, expected);
  return value.map((item, i): Trigger => {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw invalidSetting(source(key), `${key}[${i}]`, item, expected);
    const { TriggerName, TriggerTargetArn, TriggerEvents, ...rest } = item as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw invalidSetting(source(key), `${key}[${i}].${unknown}`, rest[unknown], expected);
    if (typeof TriggerName !== 'string' || TriggerName.length === 0 || TriggerName.length > 256) {
      throw invalidSetting(source(key), `${key}[${i}].TriggerName`, TriggerName, 'a name of 1 to 256 characters');
    }
    if (!(typeof TriggerTargetArn === 'string' ? SNS_ARN.test(TriggerTargetArn) : isIntrinsic(TriggerTargetArn))) {
      throw invalidSetting(
        source(key),
        `${key}[${i}].TriggerTargetArn`,
        TriggerTargetArn,
        'an SNS topic ARN (arn:aws:sns:us-east-1:123456789012:topic) or an intrinsic function such as Ref: MyTopic',
      );
    }
    if (
      !Array.isArray(TriggerEvents) ||
      TriggerEvents.length === 0 ||
      !TriggerEvents.every((e) => TRIGGER_EVENTS.includes(e as string))
    ) {
      throw invalidSetting(
        source(key),
        `${key}[${i}].TriggerEvents`,
        TriggerEvents,
        `a non-empty list of ${TRIGGER_EVENTS.join(', ')}`,
      );
    }
    return { name: TriggerName, targetArn: TriggerTargetArn as string | Intrinsic, events: TriggerEvents as string[] };
  });
}

function resolveSmokeTests(value: unknown, source: Source): SmokeTestCase[] {
  if (value === undefined) return [];
  const expected = 'a test or a list of tests, each { name?, payload?, expect?: { statusCode?, response?, body? } }';
  const cases = Array.isArray(value) ? value : [value];
  if (cases.length === 0) throw invalidSetting(source('smokeTest'), 'smokeTest', value, expected);
  return cases.map((item, i): SmokeTestCase => {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw invalidSetting(source('smokeTest'), `smokeTest[${i}]`, item, expected);
    const { name, payload, expect, ...rest } = item as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined)
      throw invalidSetting(source('smokeTest'), `smokeTest[${i}].${unknown}`, rest[unknown], expected);
    if (name !== undefined && (typeof name !== 'string' || name.length === 0))
      throw invalidSetting(source('smokeTest'), `smokeTest[${i}].name`, name, 'a non-empty string');
    if (expect !== undefined) {
      if (expect === null || typeof expect !== 'object' || Array.isArray(expect))
        throw invalidSetting(source('smokeTest'), `smokeTest[${i}].expect`, expect, expected);
      const { statusCode, response, body, ...other } = expect as Record<string, unknown>;
      const extra = Object.keys(other)[0];
      if (extra !== undefined)
        throw invalidSetting(
          source('smokeTest'),
          `smokeTest[${i}].expect.${extra}`,
          other[extra],
          'statusCode, response or body',
        );
      if (
        statusCode !== undefined &&
        (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
      ) {
        throw invalidSetting(
          source('smokeTest'),
          `smokeTest[${i}].expect.statusCode`,
          statusCode,
          'an HTTP status code from 100 to 599',
        );
      }
      void response;
      void body;
    }
    return {
      name: (name as string | undefined) ?? `test ${i + 1}`,
      payload: payload ?? {},
      ...(expect !== undefined && { expect: expect as SmokeTestCase['expect'] }),
    };
  });
}

function resolveBakeTime(
  value: unknown,
  source: Source,
  shifting: { blueGreen: boolean; inPlaceByType: boolean },
): number | undefined {
  if (value === undefined) return shifting.blueGreen ? DEFAULT_BLUE_GREEN_BAKE_MINUTES : undefined;
  if (shifting.inPlaceByType) {
    throw invalidSetting(
      source('bakeTime'),
      'bakeTime',
      value,
      'no bakeTime with type InPlace: nothing watches an in-place deploy; choose BlueGreen, AllAtOnce, a canary or a linear type',
    );
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_BAKE_MINUTES) {
    throw invalidSetting(
      source('bakeTime'),
      'bakeTime',
      value,
      `whole minutes from 1 to ${MAX_BAKE_MINUTES} (CodeDeploy fails a hook that does not report within an hour)`,
    );
  }
  return value;
}
