/**
 * Alarms that decide a rollout. Generated alarms watch the new version only: the alias's invocations that the new
 * version executed (dimensions FunctionName, Resource = <function>:<alias>, ExecutedVersion). An alarm on the whole
 * function would dilute a canary's errors (at 10 % traffic, a version failing every call shows 10 % errors).
 * The Resource dimension is built from the function's name, never from a Ref of the alias: the deployment group
 * watching the alarm is itself referenced by the alias, so that would be a dependency cycle.
 * The comparison alarms (errorRateVsPrevious, durationVsPrevious) judge the new version against the previous one with
 * metric math on the alias's and the new version's metrics (./version-metrics.ts).
 */
import { DEFAULT_MIN_INVOCATIONS, type GeneratedAlarm, type GeneratedAlarmKind } from '../config/health-checks';
import type { ShiftedFunction } from '../config/resolve';
import { naming } from '../naming';
import { getAtt, ref, type CfnResource } from '../types/cloudformation';
import {
  durationComparison,
  errorRateComparison,
  isMath,
  type Comparison,
  type ComparisonKind,
  type MetricScope,
} from './version-metrics';

interface AlarmTarget {
  fn: ShiftedFunction;
  versionLogicalId: string;
}

type FixedAlarmKind = Exclude<GeneratedAlarmKind, ComparisonKind>;
type FixedAlarm = GeneratedAlarm & { kind: FixedAlarmKind };

const DESCRIPTIONS: Record<FixedAlarmKind, (a: GeneratedAlarm) => string> = {
  errors: (a) => `${a.threshold === 1 ? 'any error' : `${a.threshold} or more errors`}`,
  errorRate: (a) => `an error rate of ${a.threshold}% or more`,
  throttles: (a) => `${a.threshold} or more throttled requests`,
  p99Duration: (a) => `a p99 duration above ${a.threshold} ms`,
};

/** A generated alarm that compares the new version with the previous one, as the transform renders it. */
function asComparison(alarm: GeneratedAlarm): ComparisonAlarm | undefined {
  if (alarm.kind !== 'errorRateVsPrevious' && alarm.kind !== 'durationVsPrevious') return undefined;
  return {
    kind: alarm.kind,
    threshold: alarm.threshold,
    minInvocations: alarm.minInvocations ?? DEFAULT_MIN_INVOCATIONS,
    evaluationPeriods: alarm.evaluationPeriods,
    period: alarm.period,
  };
}

export function describeGeneratedAlarm(alarm: GeneratedAlarm): string {
  const comparison = asComparison(alarm);
  if (comparison) return describeComparisonAlarm(comparison);
  const window = alarm.evaluationPeriods === 1 ? `${alarm.period}s` : `${alarm.evaluationPeriods} × ${alarm.period}s`;
  return `${alarm.kind}: ${DESCRIPTIONS[(alarm as FixedAlarm).kind](alarm)} in ${window}`;
}

/** The dimensions of the alias's metrics and of the new version's, for a function of the template. */
export function metricDimensions(fn: ShiftedFunction, versionLogicalId: string): Record<MetricScope, unknown[]> {
  const functionName = ref(fn.logicalId);
  const alias = [
    { Name: 'FunctionName', Value: functionName },
    { Name: 'Resource', Value: { 'Fn::Join': [':', [functionName, fn.alias]] } },
  ];
  return { alias, newVersion: [...alias, { Name: 'ExecutedVersion', Value: getAtt(versionLogicalId, 'Version') }] };
}

/** A comparison alarm's `Metrics`: every query, only the last one returning data (the one the alarm watches). */
export function comparisonMetrics(
  comparison: Comparison,
  dimensions: Record<MetricScope, unknown[]>,
  period: number,
): Record<string, unknown>[] {
  const watched = comparison.queries[comparison.queries.length - 1]?.id;
  return comparison.queries.map((q) =>
    isMath(q)
      ? { Id: q.id, Expression: q.expression, Label: q.label, ReturnData: q.id === watched }
      : {
          Id: q.id,
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: q.metric, Dimensions: dimensions[q.scope] },
            Period: period,
            Stat: q.stat,
          },
          Label: q.label,
          ReturnData: false,
        },
  );
}

export function generatedAlarms({ fn, versionLogicalId }: AlarmTarget): { logicalId: string; resource: CfnResource }[] {
  const { alias: onAlias, newVersion: onNewVersion } = metricDimensions(fn, versionLogicalId);

  return fn.health.newVersionAlarms.map((generated) => {
    const comparison = asComparison(generated);
    if (comparison) return comparisonAlarm(fn, versionLogicalId, comparison);
    const alarm = generated as FixedAlarm;
    const common = {
      AlarmDescription: `serverless-traffic-shift: rolls back function ${fn.name} (alias ${fn.alias}) on ${DESCRIPTIONS[alarm.kind](alarm)} during a rollout`,
      EvaluationPeriods: alarm.evaluationPeriods,
      Threshold: alarm.threshold,
      TreatMissingData: 'notBreaching',
    };
    const metric = (metricName: string, dimensions: unknown[]) => ({
      Namespace: 'AWS/Lambda',
      MetricName: metricName,
      Dimensions: dimensions,
      Period: alarm.period,
    });
    let properties: Record<string, unknown>;
    switch (alarm.kind) {
      case 'errors':
        properties = {
          ...common,
          ...metric('Errors', onNewVersion),
          Statistic: 'Sum',
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        };
        break;
      case 'throttles':
        // A throttled request never runs, so it has no ExecutedVersion: throttles are counted on the alias.
        properties = {
          ...common,
          ...metric('Throttles', onAlias),
          Statistic: 'Sum',
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        };
        break;
      case 'p99Duration':
        properties = {
          ...common,
          ...metric('Duration', onNewVersion),
          ExtendedStatistic: 'p99',
          ComparisonOperator: 'GreaterThanThreshold',
        };
        break;
      case 'errorRate': {
        const stat = (id: string, metricName: string) => ({
          Id: id,
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: onNewVersion },
            Period: alarm.period,
            Stat: 'Sum',
          },
          ReturnData: false,
        });
        properties = {
          ...common,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Metrics: [
            stat('errors', 'Errors'),
            stat('invocations', 'Invocations'),
            {
              Id: 'errorRate',
              Expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
              Label: 'Error rate (%) of the new version',
              ReturnData: true,
            },
          ],
        };
        break;
      }
    }
    return {
      logicalId: naming.generatedAlarm(fn.normalizedName, alarm.kind),
      resource: { Type: 'AWS::CloudWatch::Alarm', Properties: properties },
    };
  });
}

/** A generated alarm that compares the new version with the previous one (metric math on the alias's metrics). */
export interface ComparisonAlarm {
  kind: Comparison['kind'];
  /** Percentage points (errorRateVsPrevious) or a ratio of average durations (durationVsPrevious). */
  threshold: number;
  /** Calls each version must have served in a period before the period is judged. */
  minInvocations: number;
  evaluationPeriods: number;
  /** Seconds, a multiple of 60. */
  period: number;
}

const COMPARISON_WORDS: Record<ComparisonAlarm['kind'], (a: ComparisonAlarm) => string> = {
  errorRateVsPrevious: (a) =>
    `the new version's error rate is more than ${a.threshold} ${a.threshold === 1 ? 'point' : 'points'} above the previous version's`,
  durationVsPrevious: (a) => `the new version's average duration is more than ${a.threshold} × the previous version's`,
};

/** `errorRateVsPrevious: rolls back if the new version's error rate is more than 5 points above … after 100 invocations of each` */
export function describeComparisonAlarm(alarm: ComparisonAlarm): string {
  const window = alarm.evaluationPeriods === 1 ? `${alarm.period}s` : `${alarm.evaluationPeriods} × ${alarm.period}s`;
  return `${alarm.kind}: rolls back if ${COMPARISON_WORDS[alarm.kind](alarm)} in ${window}, after ${alarm.minInvocations} invocations of each`;
}

export function comparisonAlarm(
  fn: ShiftedFunction,
  versionLogicalId: string,
  alarm: ComparisonAlarm,
): { logicalId: string; resource: CfnResource } {
  const comparison =
    alarm.kind === 'errorRateVsPrevious'
      ? errorRateComparison(alarm.minInvocations)
      : durationComparison(alarm.minInvocations);
  return {
    logicalId: naming.generatedAlarm(fn.normalizedName, alarm.kind),
    resource: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription:
          `serverless-traffic-shift: rolls back function ${fn.name} (alias ${fn.alias}) during a rollout if ` +
          `${COMPARISON_WORDS[alarm.kind](alarm)}, once each version served ${alarm.minInvocations} invocations in a period`,
        EvaluationPeriods: alarm.evaluationPeriods,
        Threshold: alarm.threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        // No data point: no call reached the alias in the period, nothing to compare.
        TreatMissingData: 'notBreaching',
        Metrics: comparisonMetrics(comparison, metricDimensions(fn, versionLogicalId), alarm.period),
      },
    },
  };
}
