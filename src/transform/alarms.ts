/**
 * Alarms that decide a rollout. Generated alarms watch the new version only: the alias's invocations that the new
 * version executed (dimensions FunctionName, Resource = <function>:<alias>, ExecutedVersion). An alarm on the whole
 * function would dilute a canary's errors (at 10 % traffic, a version failing every call shows 10 % errors).
 * The Resource dimension is built from the function's name, never from a Ref of the alias: the deployment group
 * watching the alarm is itself referenced by the alias, so that would be a dependency cycle.
 */
import type { GeneratedAlarm, GeneratedAlarmKind } from '../config/health-checks';
import type { ShiftedFunction } from '../config/resolve';
import { naming } from '../naming';
import { getAtt, ref, type CfnResource } from '../types/cloudformation';

interface AlarmTarget {
  fn: ShiftedFunction;
  versionLogicalId: string;
}

const DESCRIPTIONS: Record<GeneratedAlarmKind, (a: GeneratedAlarm) => string> = {
  errors: (a) => `${a.threshold === 1 ? 'any error' : `${a.threshold} or more errors`}`,
  errorRate: (a) => `an error rate of ${a.threshold}% or more`,
  throttles: (a) => `${a.threshold} or more throttled requests`,
  p99Duration: (a) => `a p99 duration above ${a.threshold} ms`,
};

export function describeGeneratedAlarm(alarm: GeneratedAlarm): string {
  const window = alarm.evaluationPeriods === 1 ? `${alarm.period}s` : `${alarm.evaluationPeriods} × ${alarm.period}s`;
  return `${alarm.kind}: ${DESCRIPTIONS[alarm.kind](alarm)} in ${window}`;
}

export function generatedAlarms({ fn, versionLogicalId }: AlarmTarget): { logicalId: string; resource: CfnResource }[] {
  const functionName = ref(fn.logicalId);
  const onAlias = [
    { Name: 'FunctionName', Value: functionName },
    { Name: 'Resource', Value: { 'Fn::Join': [':', [functionName, fn.alias]] } },
  ];
  const onNewVersion = [...onAlias, { Name: 'ExecutedVersion', Value: getAtt(versionLogicalId, 'Version') }];

  return fn.health.newVersionAlarms.map((alarm) => {
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
