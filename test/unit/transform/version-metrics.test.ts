/**
 * The comparison alarms' metric math, evaluated over synthetic data points with an evaluator of exactly the subset
 * the plugin emits (test/support/metric-math.ts), itself checked against the examples of the CloudWatch User Guide.
 */
import type { ShiftedFunction } from '../../../src/config/resolve';
import { comparisonAlarm, describeComparisonAlarm, type ComparisonAlarm } from '../../../src/transform/alarms';
import {
  durationComparison,
  errorRateComparison,
  inlineExpression,
  MAX_ALARM_EXPRESSIONS,
  MAX_ALARM_METRICS,
  metricsOf,
} from '../../../src/transform/version-metrics';
import { alarmSeries, alarmState, evaluate, type AlarmQuery, type Series } from '../../support/metric-math';

const series = (values: (number | undefined)[]): Series =>
  new Map(values.flatMap((v, t) => (v === undefined ? [] : [[t, v] as [number, number]])));
const list = (s: unknown): (number | undefined)[] => {
  const m = s as Series;
  const last = Math.max(-1, ...m.keys());
  return Array.from({ length: last + 1 }, (_, t) => m.get(t));
};

describe('the evaluator follows the CloudWatch User Guide', () => {
  // "Comparison and logical operators": metric1 [30, 20, 0, 0], metric2 [20, -, 20, -].
  const values = new Map([
    ['metric1', series([30, 20, 0, 0])],
    ['metric2', series([20, undefined, 20, undefined])],
  ]);

  it('compares a series with a number point by point', () => {
    expect(list(evaluate('metric1 >= 30', values))).toEqual([1, 0, 0, 0]);
  });

  it('counts a missing value of one of two series as 0 in comparisons and AND', () => {
    // The guide's (metric1 < metric2) is [0, 0, 1, 0]; its negation:
    expect(list(evaluate('metric1 >= metric2', values))).toEqual([1, 1, 0, 1]);
    // The guide's (metric1 > 15 AND metric2 > 15) is [1, 0, 0, 0]; on these whole numbers > 15 is >= 16:
    expect(list(evaluate('metric1 >= 16 AND metric2 >= 16', values))).toEqual([1, 0, 0, 0]);
  });

  it('IF(series, series, number) and IF(series, series, series) as in "Using IF expressions"', () => {
    const ifValues = new Map([
      ['metric1', series([1, 1, 0, 0, undefined])],
      ['metric2', series([30, undefined, 0, 0, 30])],
      ['metric3', series([0, 0, 20, undefined, 20])],
    ]);
    expect(list(evaluate('IF(metric1, metric2, 5)', ifValues))).toEqual([30, 0, 5, 5, undefined]);
    expect(list(evaluate('IF(metric1, metric2, metric3)', ifValues))).toEqual([30, 0, 20, undefined, undefined]);
  });

  it('arithmetic counts a missing value as 0 and drops a division by zero', () => {
    const v = new Map([
      ['m1', series([4, undefined, 6])],
      ['m2', series([2, 2, 0])],
    ]);
    expect(list(evaluate('m1 - m2', v))).toEqual([2, -2, 6]);
    expect(list(evaluate('100 * m1 / m2', v))).toEqual([200, 0, undefined]);
  });

  it('refuses what the plugin does not emit', () => {
    const v = new Map([['m1', series([1])]]);
    expect(() => evaluate('FILL(m1, 0)', v)).toThrow(/not in it/);
    expect(() => evaluate('m1 > 0', v)).toThrow(/cannot read|not in it/);
    expect(() => evaluate('m1 OR m1', v)).toThrow(/trailing input/);
  });
});

const FN = { name: 'api', logicalId: 'ApiLambdaFunction', normalizedName: 'Api', alias: 'live' } as ShiftedFunction;

function alarmOf(spec: Partial<ComparisonAlarm> & Pick<ComparisonAlarm, 'kind'>) {
  const alarm: ComparisonAlarm = {
    threshold: spec.kind === 'errorRateVsPrevious' ? 5 : 1.5,
    minInvocations: 100,
    evaluationPeriods: 1,
    period: 60,
    ...spec,
  };
  const { logicalId, resource } = comparisonAlarm(FN, 'ApiLambdaVersionAbc123', alarm);
  return { alarm, logicalId, properties: resource.Properties as Record<string, unknown> };
}

/** One minute of traffic through the alias: calls, errors and average duration of each version. */
interface Minute {
  newCalls?: number;
  newErrors?: number;
  newMs?: number;
  previousCalls?: number;
  previousErrors?: number;
  previousMs?: number;
}

/**
 * Lambda's Sum per minute as CloudWatch has it: a version without calls in a minute has no data point (and the alias
 * none when neither version had calls); `lateNewVersion` leaves out the new version's points of those minutes (the
 * alias's arrived first).
 */
function lambdaData(minutes: Minute[], lateNewVersion: number[] = []) {
  return (metricName: string, onNewVersion: boolean): Series => {
    const out: Series = new Map();
    minutes.forEach((m, t) => {
      const n = m.newCalls ?? 0;
      const p = m.previousCalls ?? 0;
      const value = (side: 'new' | 'previous'): number => {
        const calls = side === 'new' ? n : p;
        if (metricName === 'Invocations') return calls;
        if (metricName === 'Errors') return (side === 'new' ? m.newErrors : m.previousErrors) ?? 0;
        return calls * ((side === 'new' ? m.newMs : m.previousMs) ?? 10);
      };
      if (onNewVersion) {
        if (n > 0 && !lateNewVersion.includes(t)) out.set(t, value('new'));
      } else if (n + p > 0) {
        out.set(t, value('new') + value('previous'));
      }
    });
    return out;
  };
}

function judge(kind: ComparisonAlarm['kind'], minutes: Minute[], spec: Partial<ComparisonAlarm> = {}, late?: number[]) {
  const { alarm, properties } = alarmOf({ kind, ...spec });
  const values = alarmSeries(properties.Metrics as AlarmQuery[], lambdaData(minutes, late));
  const at = minutes.length - 1;
  return {
    values: list(values),
    state: alarmState(values, { at, evaluationPeriods: alarm.evaluationPeriods, threshold: alarm.threshold }),
  };
}

describe('errorRateVsPrevious (threshold 5 points, 100 invocations of each)', () => {
  const canary = (newErrors: number, previousErrors: number): Minute => ({
    newCalls: 120,
    newErrors,
    previousCalls: 1080,
    previousErrors,
  });

  it('fires when the previous version is healthy and the new one fails', () => {
    // 0.5 % against 15 %: 14.5 points above.
    const { values, state } = judge('errorRateVsPrevious', [canary(18, 5)]);
    expect(values[0]).toBeCloseTo(15 - 100 * (5 / 1080), 6);
    expect(state).toBe('ALARM');
  });

  it('stays quiet when both fail equally: a background error rate is no reason to roll back', () => {
    const { values, state } = judge('errorRateVsPrevious', [canary(12, 108)]);
    expect(values).toEqual([0]);
    expect(state).toBe('OK');
  });

  it('stays quiet for a rise within the margin (3 % against 1 %)', () => {
    expect(judge('errorRateVsPrevious', [canary(4, 11)])).toMatchObject({ state: 'OK' });
  });

  it('does not decide on too little traffic: one error in three calls of the new version', () => {
    const { values, state } = judge('errorRateVsPrevious', [
      { newCalls: 3, newErrors: 1, previousCalls: 27, previousErrors: 0 },
    ]);
    expect(values).toEqual([0]);
    expect(state).toBe('OK');
  });

  it('judges once enough calls have come: the same failure rate over a longer period fires', () => {
    const few = { newCalls: 30, newErrors: 10, previousCalls: 270, previousErrors: 0 };
    expect(judge('errorRateVsPrevious', [few])).toMatchObject({ values: [0], state: 'OK' });
    expect(judge('errorRateVsPrevious', [few], { minInvocations: 30 })).toMatchObject({ state: 'ALARM' });
  });

  it('at 0 % on the new version (before the first shift) the new version has no data point: 0, quiet', () => {
    const { values, state } = judge('errorRateVsPrevious', [{ previousCalls: 1200, previousErrors: 40 }]);
    expect(values).toEqual([0]);
    expect(state).toBe('OK');
  });

  it('at 100 % on the new version the previous one serves nothing, so there is no comparison: 0, quiet', () => {
    const { values, state } = judge('errorRateVsPrevious', [{ newCalls: 1200, newErrors: 600 }]);
    expect(values).toEqual([0]);
    expect(state).toBe('OK');
  });

  it('a minute without any call has no data point: not breaching', () => {
    const { values, state } = judge('errorRateVsPrevious', [canary(18, 5), {}]);
    expect(values).toEqual([values[0], undefined]);
    expect(state).toBe('OK');
  });

  it("a minute whose new-version figures arrive late reads as the alias's alone: quiet, not a false alarm", () => {
    const { values, state } = judge('errorRateVsPrevious', [canary(18, 5)], {}, [0]);
    expect(values).toEqual([0]);
    expect(state).toBe('OK');
  });

  it('with evaluationPeriods 2 it fires on the second failing period only', () => {
    expect(judge('errorRateVsPrevious', [canary(0, 5), canary(18, 5)], { evaluationPeriods: 2 }).state).toBe('OK');
    expect(judge('errorRateVsPrevious', [canary(18, 5), canary(18, 5)], { evaluationPeriods: 2 }).state).toBe('ALARM');
  });
});

describe('durationVsPrevious (threshold 1.5 ×, 100 invocations of each)', () => {
  const canary = (newMs: number, previousMs: number): Minute => ({
    newCalls: 200,
    newMs,
    previousCalls: 1800,
    previousMs,
  });

  it('fires when the new version is twice as slow', () => {
    const { values, state } = judge('durationVsPrevious', [canary(80, 40)]);
    expect(values[0]).toBeCloseTo(2, 9);
    expect(state).toBe('ALARM');
  });

  it('stays quiet when both are equally slow, or the new one is faster', () => {
    expect(judge('durationVsPrevious', [canary(300, 300)])).toMatchObject({ values: [1], state: 'OK' });
    expect(judge('durationVsPrevious', [canary(20, 40)])).toMatchObject({ values: [0.5], state: 'OK' });
  });

  it('does not decide on too little traffic', () => {
    expect(judge('durationVsPrevious', [{ newCalls: 5, newMs: 900, previousCalls: 45, previousMs: 40 }])).toMatchObject(
      { values: [0], state: 'OK' },
    );
  });

  it('at 0 % and at 100 % on the new version: 0, quiet', () => {
    expect(judge('durationVsPrevious', [{ previousCalls: 500, previousMs: 40 }])).toMatchObject({
      values: [0],
      state: 'OK',
    });
    expect(judge('durationVsPrevious', [{ newCalls: 500, newMs: 4000 }])).toMatchObject({ values: [0], state: 'OK' });
  });
});

describe('the alarm resources', () => {
  it('errorRateVsPrevious: ids, expressions, dimensions, period, and only the last expression returns data', () => {
    const { logicalId, properties } = alarmOf({ kind: 'errorRateVsPrevious', minInvocations: 50, threshold: 2 });
    expect(logicalId).toBe('ApiTrafficShiftErrorRateVsPreviousAlarm');
    const metrics = properties.Metrics as AlarmQuery[];
    expect(metrics.filter((m) => m.MetricStat).length).toBeLessThanOrEqual(MAX_ALARM_METRICS);
    expect(metrics.filter((m) => m.Expression).length).toBeLessThanOrEqual(MAX_ALARM_EXPRESSIONS);
    expect(metrics.map((m) => [m.Id, m.Expression ?? m.MetricStat?.Metric.MetricName, m.ReturnData])).toEqual([
      ['newInvocations', 'Invocations', false],
      ['aliasInvocations', 'Invocations', false],
      ['previousInvocations', 'aliasInvocations - newInvocations', false],
      ['newErrors', 'Errors', false],
      ['aliasErrors', 'Errors', false],
      ['previousErrors', 'aliasErrors - newErrors', false],
      ['newErrorRate', '100 * newErrors / newInvocations', false],
      ['previousErrorRate', '100 * previousErrors / previousInvocations', false],
      [
        'errorRateIncrease',
        'IF(newInvocations >= 50 AND previousInvocations >= 50, newErrorRate - previousErrorRate, 0)',
        true,
      ],
    ]);
    const alias = [
      { Name: 'FunctionName', Value: { Ref: 'ApiLambdaFunction' } },
      { Name: 'Resource', Value: { 'Fn::Join': [':', [{ Ref: 'ApiLambdaFunction' }, 'live']] } },
    ];
    const newVersion = [
      ...alias,
      { Name: 'ExecutedVersion', Value: { 'Fn::GetAtt': ['ApiLambdaVersionAbc123', 'Version'] } },
    ];
    expect(metrics[0]?.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: newVersion },
      Period: 60,
      Stat: 'Sum',
    });
    expect(metrics[1]?.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: alias },
      Period: 60,
      Stat: 'Sum',
    });
    expect(properties).toMatchObject({
      Threshold: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(properties).not.toHaveProperty('Namespace');
    expect(properties).not.toHaveProperty('Period');
  });

  it('durationVsPrevious: Duration sums of the alias and the new version, at the alarm period', () => {
    const { logicalId, properties } = alarmOf({ kind: 'durationVsPrevious', period: 300 });
    expect(logicalId).toBe('ApiTrafficShiftDurationVsPreviousAlarm');
    const metrics = properties.Metrics as AlarmQuery[];
    expect(metrics.filter((m) => m.MetricStat).length).toBeLessThanOrEqual(MAX_ALARM_METRICS);
    expect(metrics.filter((m) => m.Expression).length).toBeLessThanOrEqual(MAX_ALARM_EXPRESSIONS);
    expect(
      metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat?.Metric.MetricName, m.MetricStat?.Period]),
    ).toEqual([
      ['newInvocations', 'Invocations', 300],
      ['aliasInvocations', 'Invocations', 300],
      ['newDuration', 'Duration', 300],
      ['aliasDuration', 'Duration', 300],
    ]);
    expect(metrics[metrics.length - 1]).toMatchObject({
      Id: 'durationRatio',
      Expression:
        'IF(newInvocations >= 100 AND previousInvocations >= 100, newAverageDuration / previousAverageDuration, 0)',
      ReturnData: true,
    });
  });

  it('says in words what it rolls back on', () => {
    expect(
      describeComparisonAlarm(alarmOf({ kind: 'errorRateVsPrevious', threshold: 2, minInvocations: 50 }).alarm),
    ).toBe(
      "errorRateVsPrevious: rolls back if the new version's error rate is more than 2 points above the previous version's in 60s, after 50 invocations of each",
    );
    expect(
      describeComparisonAlarm(alarmOf({ kind: 'durationVsPrevious', evaluationPeriods: 3, period: 120 }).alarm),
    ).toBe(
      "durationVsPrevious: rolls back if the new version's average duration is more than 1.5 × the previous version's in 3 × 120s, after 100 invocations of each",
    );
  });
});

describe('inlined expressions (for graphs)', () => {
  it('write out the expressions an expression refers to, down to metric ids', () => {
    const { queries } = errorRateComparison(10);
    expect(inlineExpression('previousErrorRate', queries)).toBe(
      '100 * (aliasErrors - newErrors) / (aliasInvocations - newInvocations)',
    );
    expect(metricsOf('previousErrorRate', queries)).toEqual([
      'newInvocations',
      'aliasInvocations',
      'newErrors',
      'aliasErrors',
    ]);
    expect(metricsOf('newAverageDuration', durationComparison(1).queries)).toEqual(['newInvocations', 'newDuration']);
  });

  it('evaluate to the same series as the expressions they come from', () => {
    const { queries } = durationComparison(100);
    const data = lambdaData([
      { newCalls: 200, newMs: 80, previousCalls: 1800, previousMs: 40 },
      { newCalls: 10, newMs: 30, previousCalls: 0 },
    ]);
    const values = new Map<string, Series>();
    for (const q of queries) {
      if ('metric' in q) values.set(q.id, data(q.metric, q.scope === 'newVersion'));
      else values.set(q.id, evaluate(q.expression, values) as Series);
    }
    for (const id of ['previousAverageDuration', 'newAverageDuration', 'durationRatio']) {
      expect(list(evaluate(inlineExpression(id, queries), values))).toEqual(list(values.get(id)));
    }
  });
});
