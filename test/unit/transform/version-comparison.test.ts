/**
 * The comparison alarms and the dashboard through the settings and the whole transform: what each setting gives,
 * what the deployment group watches, the plan's words, and the errors for values that cannot work.
 */
import { resolveSettings } from '../../../src/config/resolve';
import { ServerlessError } from '../../../src/errors';
import { renderPlan } from '../../../src/plan/plan-text';
import { applyTrafficShift } from '../../../src/transform';
import type { CfnTemplate } from '../../../src/types/cloudformation';
import { compiledTemplate, describeFunction } from '../../support/service';

function build(functions: Record<string, unknown>, defaults?: unknown, template?: CfnTemplate) {
  const settings = resolveSettings({
    stage: 'prod',
    versionFunctions: true,
    defaults,
    functions: Object.fromEntries(Object.entries(functions).map(([name, s]) => [name, describeFunction(name, s)])),
  });
  return applyTrafficShift(settings, template ?? compiledTemplate(Object.keys(functions)));
}

const metrics = (properties: Record<string, unknown> | undefined) =>
  properties?.Metrics as { Id: string; Expression?: string; MetricStat?: { Period: number } }[];

describe('errorRateVsPrevious and durationVsPrevious', () => {
  it('are off by default', () => {
    const { template } = build({ api: { type: 'Canary10Percent5Minutes' } });
    expect(Object.keys(template.Resources).filter((id) => id.endsWith('VsPreviousAlarm'))).toEqual([]);
  });

  it('true: the defaults (5 points, 1.5 ×, 100 invocations of each, one 60s period), watched beside the fixed alarms', () => {
    const { template, plan } = build({
      api: {
        type: 'Canary10Percent5Minutes',
        newVersionAlarms: { errorRateVsPrevious: true, durationVsPrevious: true },
      },
    });
    const errors = template.Resources.ApiTrafficShiftErrorRateVsPreviousAlarm?.Properties;
    const duration = template.Resources.ApiTrafficShiftDurationVsPreviousAlarm?.Properties;
    expect(errors).toMatchObject({ Threshold: 5, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold' });
    expect(metrics(errors).pop()?.Expression).toBe(
      'IF(newInvocations >= 100 AND previousInvocations >= 100, newErrorRate - previousErrorRate, 0)',
    );
    expect(duration).toMatchObject({ Threshold: 1.5 });
    expect(metrics(duration).every((m) => !m.MetricStat || m.MetricStat.Period === 60)).toBe(true);
    expect(template.Resources.ApiTrafficShiftDeploymentGroup?.Properties?.AlarmConfiguration).toEqual({
      Enabled: true,
      IgnorePollAlarmFailure: false,
      Alarms: [
        { Name: { Ref: 'ApiTrafficShiftErrorsAlarm' } },
        { Name: { Ref: 'ApiTrafficShiftErrorRateVsPreviousAlarm' } },
        { Name: { Ref: 'ApiTrafficShiftDurationVsPreviousAlarm' } },
      ],
    });
    expect(plan.functions[0]?.alarms).toEqual([
      'errors: any error in 60s',
      "errorRateVsPrevious: rolls back if the new version's error rate is more than 5 points above the previous version's in 60s, after 100 invocations of each",
      "durationVsPrevious: rolls back if the new version's average duration is more than 1.5 × the previous version's in 60s, after 100 invocations of each",
    ]);
    expect(renderPlan(plan)).toContain(
      "  alarms       errors: any error in 60s\n               errorRateVsPrevious: rolls back if the new version's error rate is more than 5 points above",
    );
    expect(plan.functions[0]?.addedResources).toEqual([
      'ApiTrafficShiftAlias',
      'ApiTrafficShiftErrorsAlarm',
      'ApiTrafficShiftErrorRateVsPreviousAlarm',
      'ApiTrafficShiftDurationVsPreviousAlarm',
      'ApiTrafficShiftDeploymentGroup',
    ]);
  });

  it('a number is the threshold; an object sets each option; usable alone, without the fixed alarms', () => {
    const { template, plan } = build(
      { api: {}, worker: { newVersionAlarms: { errors: false, durationVsPrevious: 2 } } },
      {
        type: 'Linear10PercentEvery1Minute',
        newVersionAlarms: {
          errors: false,
          errorRateVsPrevious: { threshold: 2, minInvocations: 50, evaluationPeriods: 3, period: 120 },
        },
      },
    );
    const api = template.Resources.ApiTrafficShiftErrorRateVsPreviousAlarm?.Properties;
    expect(api).toMatchObject({ Threshold: 2, EvaluationPeriods: 3 });
    expect(
      metrics(api)
        .filter((m) => m.MetricStat)
        .map((m) => m.MetricStat?.Period),
    ).toEqual([120, 120, 120, 120]);
    expect(metrics(api).pop()?.Expression).toMatch(/^IF\(newInvocations >= 50 AND previousInvocations >= 50,/);
    expect(plan.functions.find((f) => f.name === 'api')?.alarms).toEqual([
      "errorRateVsPrevious: rolls back if the new version's error rate is more than 2 points above the previous version's in 3 × 120s, after 50 invocations of each",
    ]);
    // Per function the object replaces the defaults' object key by key (newVersionAlarms is one setting).
    expect(Object.keys(template.Resources).filter((id) => id.startsWith('Worker') && id.endsWith('Alarm'))).toEqual([
      'WorkerTrafficShiftDurationVsPreviousAlarm',
    ]);
    expect(template.Resources.WorkerTrafficShiftDurationVsPreviousAlarm?.Properties?.Threshold).toBe(2);
  });

  const POINTS =
    "Accepted: percentage points by which the new version's error rate may exceed the previous version's, from 0 to 99 (default 5).";
  const CALLS =
    'Accepted: a whole number of calls from 1 to 1000000 that each version must have served in a period before it is judged (default 100).';
  it.each([
    [{ errorRateVsPrevious: 100 }, `errorRateVsPrevious is 100, more than 99. ${POINTS}`],
    [{ errorRateVsPrevious: -1 }, `errorRateVsPrevious is -1, less than 0. ${POINTS}`],
    [
      { durationVsPrevious: 1 },
      "durationVsPrevious is 1, less than 1.05. Accepted: a ratio of the new version's average duration to the previous version's, from 1.05 to 100 (default 1.5: half again as slow).",
    ],
    [
      { durationVsPrevious: { period: 30 } },
      'durationVsPrevious.period is 30, less than 60. Accepted: seconds, a multiple of 60 (Lambda publishes its metrics once a minute), with period × evaluationPeriods at most one day (default 60).',
    ],
    [{ errorRateVsPrevious: { minInvocations: 0 } }, `errorRateVsPrevious.minInvocations is 0, less than 1. ${CALLS}`],
    [
      { errorRateVsPrevious: { minInvocations: 2.5 } },
      `errorRateVsPrevious.minInvocations is 2.5, not a whole number. ${CALLS}`,
    ],
    [
      { errors: { minInvocations: 10 } },
      'errors.minInvocations is not a setting. Accepted keys of newVersionAlarms.errors: threshold, evaluationPeriods, period.',
    ],
    [
      { errorRateVsPrevious: 'yes' },
      'errorRateVsPrevious is "yes", not true or false or a number of percentage points or an object { threshold, minInvocations, evaluationPeriods, period }. ' +
        'Accepted: true, false, a threshold number, or { threshold, minInvocations, evaluationPeriods, period }.',
    ],
  ])('%j is refused, saying where, why and what is accepted', (alarms, message) => {
    const attempt = () => build({ api: { type: 'Canary10Percent5Minutes', newVersionAlarms: alarms } });
    expect(attempt).toThrow(ServerlessError);
    expect(attempt).toThrow(
      `Invalid deployment setting: functions.api.deploymentSettings.newVersionAlarms.${message} [TRAFFIC_SHIFT_INVALID_SETTING]`,
    );
  });

  it("count toward CodeDeploy's 10 alarms per group", () => {
    const template = compiledTemplate(['api']);
    const ids = Array.from({ length: 5 }, (_, i) => `Mine${i}`);
    for (const id of ids) template.Resources[id] = { Type: 'AWS::CloudWatch::Alarm', Properties: {} };
    const all = {
      errorRate: true,
      throttles: true,
      p99Duration: 900,
      errorRateVsPrevious: true,
      durationVsPrevious: true,
    };
    expect(() =>
      build({ api: { type: 'AllAtOnce', alarms: ids, newVersionAlarms: all } }, undefined, template),
    ).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.alarms lists 5 alarms (Mine0, Mine1, Mine2, Mine3, Mine4), ' +
        'and with the 6 generated by newVersionAlarms (ApiTrafficShiftErrorsAlarm, ApiTrafficShiftErrorRateAlarm, ApiTrafficShiftThrottlesAlarm, ' +
        'ApiTrafficShiftP99DurationAlarm, ApiTrafficShiftErrorRateVsPreviousAlarm, ApiTrafficShiftDurationVsPreviousAlarm) the deployment group would watch 11, ' +
        'more than the 10 CodeDeploy lets a deployment group watch. Remove some, combine several into one composite alarm, or turn generated ones off in newVersionAlarms. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
  });
});

describe('dashboard', () => {
  it('dashboard: true adds one dashboard for the stack, listed with the shared resources', () => {
    const { template, plan } = build(
      { api: {}, worker: {}, nightly: { type: 'InPlace' } },
      { type: 'Canary10Percent5Minutes', dashboard: true },
    );
    expect(template.Resources.TrafficShiftDashboard?.Type).toBe('AWS::CloudWatch::Dashboard');
    expect(plan.sharedResources).toContain('TrafficShiftDashboard');
    const body = JSON.stringify(template.Resources.TrafficShiftDashboard?.Properties?.DashboardBody);
    expect(body).toContain('api: calls by version');
    expect(body).toContain('worker: calls by version');
    // In place: no CodeDeploy, no previous version to compare with.
    expect(body).not.toContain('nightly');
    expect(plan.warnings).toEqual([]);
  });

  it('off by default; warned of when no function shifts; refused per function or not true/false', () => {
    expect(
      build({ api: { type: 'Canary10Percent5Minutes' } }).template.Resources.TrafficShiftDashboard,
    ).toBeUndefined();
    const inPlace = build({ api: {} }, { type: 'InPlace', dashboard: true });
    expect(inPlace.template.Resources.TrafficShiftDashboard).toBeUndefined();
    expect(inPlace.plan.warnings).toEqual([
      'dashboard: no function shifts through CodeDeploy in this stage, so the stack gets no dashboard.',
    ]);
    expect(() => build({ api: { type: 'AllAtOnce', dashboard: true } })).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.dashboard applies to the whole stack, not to one function. Set it in custom.deploymentSettings. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
    expect(() => build({ api: {} }, { type: 'AllAtOnce', dashboard: 'yes' })).toThrow(
      'Invalid deployment setting: custom.deploymentSettings.dashboard is "yes", not true or false. ' +
        "Accepted: true or false (default false): true adds a CloudWatch dashboard of the stage's shifted functions, both versions side by side. [TRAFFIC_SHIFT_INVALID_SETTING]",
    );
  });
});
