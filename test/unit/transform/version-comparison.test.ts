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

  it.each([
    [{ errorRateVsPrevious: 100 }, 'newVersionAlarms.errorRateVsPrevious.threshold is 100; expected percentage points'],
    [{ errorRateVsPrevious: -1 }, 'newVersionAlarms.errorRateVsPrevious.threshold is -1'],
    [{ durationVsPrevious: 1 }, 'newVersionAlarms.durationVsPrevious.threshold is 1; expected a ratio'],
    [
      { durationVsPrevious: { period: 30 } },
      "newVersionAlarms.durationVsPrevious.period is 30; expected seconds, a multiple of 60 (Lambda's metrics are per minute)",
    ],
    [
      { errorRateVsPrevious: { minInvocations: 0 } },
      'newVersionAlarms.errorRateVsPrevious.minInvocations is 0; expected a whole number of calls from 1 to 1000000',
    ],
    [{ errorRateVsPrevious: { minInvocations: 2.5 } }, 'minInvocations is 2.5'],
    [
      { errors: { minInvocations: 10 } },
      'newVersionAlarms.errors.minInvocations is 10; expected one of threshold, evaluationPeriods, period',
    ],
    [{ errorRateVsPrevious: 'yes' }, 'newVersionAlarms.errorRateVsPrevious is "yes"'],
  ])('%j is refused, naming the function and the key', (alarms, message) => {
    const attempt = () => build({ api: { type: 'Canary10Percent5Minutes', newVersionAlarms: alarms } });
    expect(attempt).toThrow(ServerlessError);
    expect(attempt).toThrow('Invalid deployment setting for function "api": functions.api.deploymentSettings.');
    expect(attempt).toThrow(message);
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
    ).toThrow(/at most 10 alarms per function, CodeDeploy's limit; it has 11/);
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
      'Unknown deployment setting functions.api.deploymentSettings.dashboard (function "api"): dashboard applies to the whole stack: set it in custom.deploymentSettings.',
    );
    expect(() => build({ api: {} }, { type: 'AllAtOnce', dashboard: 'yes' })).toThrow(
      'Invalid deployment setting for the service defaults: custom.deploymentSettings.dashboard is "yes"; expected true or false (default false).',
    );
  });
});
