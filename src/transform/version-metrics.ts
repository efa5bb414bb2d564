/**
 * The metrics that compare a rollout's new version with the version it replaces, defined once for the comparison
 * alarms and the dashboard. Lambda publishes Invocations, Errors and Duration per alias (dimensions FunctionName and
 * Resource = <function>:<alias>) and per alias and executed version (plus ExecutedVersion). During a rollout the alias
 * serves the previous and the new version, so the previous version's figures are the alias's minus the new
 * version's: metric math derives them in one alarm without knowing the previous version's number.
 *
 * What the expressions rely on (CloudWatch User Guide, "Metric math syntax and functions"): arithmetic treats a missing
 * value as 0 and drops a data point that would divide by zero; a comparison yields 1 or 0 per data point, a missing
 * value of one of two time series counting as 0; `AND` combines comparisons; `IF(condition, value, 0)` takes the value
 * where the condition is not 0, 0 where the value was dropped, and 0 where the condition is 0. FILL is not used: in an
 * alarm it fills the latest minute, which Lambda publishes late, and so pins the alarm's state; the arithmetic rules
 * already read a version without calls as 0 calls. A math alarm takes at most 10 metrics and 10 expressions, all
 * metrics with the alarm's period. Pure.
 */

export type LambdaMetric = 'Invocations' | 'Errors' | 'Duration';
/** The alias's invocations (both versions), or those the new version executed. */
export type MetricScope = 'alias' | 'newVersion';

export interface MetricQuery {
  id: string;
  metric: LambdaMetric;
  scope: MetricScope;
  stat: 'Sum';
  label: string;
}

export interface MathQuery {
  id: string;
  /** Metric math over the ids of the queries before it. */
  expression: string;
  label: string;
}

export type Query = MetricQuery | MathQuery;

export const isMath = (query: Query): query is MathQuery => 'expression' in query;

/** The comparison alarms and what their watched expression means. */
export type ComparisonKind = 'errorRateVsPrevious' | 'durationVsPrevious';

/** A metric math alarm: the queries in order, the last one the expression the alarm watches. */
export interface Comparison {
  kind: ComparisonKind;
  queries: Query[];
}

/**
 * CloudWatch (PutMetricAlarm, MetricDataQuery): an alarm's `Metrics` hold at most 20 entries, at most 10 of them
 * metrics and at most 10 expressions, exactly one expression returning data.
 */
export const MAX_ALARM_METRICS = 10;
export const MAX_ALARM_EXPRESSIONS = 10;

const metric = (id: string, name: LambdaMetric, scope: MetricScope, label: string): MetricQuery => ({
  id,
  metric: name,
  scope,
  stat: 'Sum',
  label,
});
const math = (id: string, expression: string, label: string): MathQuery => ({ id, expression, label });

/** Calls of each version: the previous version's are the alias's not executed by the new version. */
export function trafficQueries(): Query[] {
  return [
    metric('newInvocations', 'Invocations', 'newVersion', 'Invocations of the new version'),
    metric('aliasInvocations', 'Invocations', 'alias', 'Invocations of the alias'),
    math('previousInvocations', 'aliasInvocations - newInvocations', 'Invocations of the previous version'),
  ];
}

/** Error rates, in percent of each version's calls. */
export function errorRateQueries(): Query[] {
  return [
    ...trafficQueries(),
    metric('newErrors', 'Errors', 'newVersion', 'Errors of the new version'),
    metric('aliasErrors', 'Errors', 'alias', 'Errors of the alias'),
    math('previousErrors', 'aliasErrors - newErrors', 'Errors of the previous version'),
    math('newErrorRate', '100 * newErrors / newInvocations', 'Error rate (%) of the new version'),
    math('previousErrorRate', '100 * previousErrors / previousInvocations', 'Error rate (%) of the previous version'),
  ];
}

/** Average durations in milliseconds: the sum of durations over the calls, per version. */
export function durationQueries(): Query[] {
  return [
    ...trafficQueries(),
    metric('newDuration', 'Duration', 'newVersion', 'Total duration (ms) of the new version'),
    metric('aliasDuration', 'Duration', 'alias', 'Total duration (ms) of the alias'),
    math('previousDuration', 'aliasDuration - newDuration', 'Total duration (ms) of the previous version'),
    math('newAverageDuration', 'newDuration / newInvocations', 'Average duration (ms) of the new version'),
    math(
      'previousAverageDuration',
      'previousDuration / previousInvocations',
      'Average duration (ms) of the previous version',
    ),
  ];
}

/** Both versions served at least `minInvocations` calls in the period. */
const enoughCalls = (minInvocations: number): string =>
  `newInvocations >= ${minInvocations} AND previousInvocations >= ${minInvocations}`;

/**
 * Percentage points by which the new version's error rate exceeds the previous version's in a period, or 0 until each
 * version served `minInvocations` calls in it (0 % or 100 % of the traffic on the new version: one side has none).
 */
export function errorRateComparison(minInvocations: number): Comparison {
  return {
    kind: 'errorRateVsPrevious',
    queries: [
      ...errorRateQueries(),
      math(
        'errorRateIncrease',
        `IF(${enoughCalls(minInvocations)}, newErrorRate - previousErrorRate, 0)`,
        "Error rate of the new version minus the previous version's (percentage points)",
      ),
    ],
  };
}

/**
 * The new version's average duration divided by the previous version's in a period, or 0 until each version served
 * `minInvocations` calls in it.
 */
export function durationComparison(minInvocations: number): Comparison {
  return {
    kind: 'durationVsPrevious',
    queries: [
      ...durationQueries(),
      math(
        'durationRatio',
        `IF(${enoughCalls(minInvocations)}, newAverageDuration / previousAverageDuration, 0)`,
        "Average duration of the new version over the previous version's",
      ),
    ],
  };
}

/**
 * An expression with the math queries it refers to written out, parenthesised, down to metric ids: for a dashboard
 * graph, which would otherwise draw every intermediate expression as a line of its own.
 */
export function inlineExpression(id: string, queries: readonly Query[]): string {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const expand = (expression: string): string =>
    expression.replace(/\b[a-z][A-Za-z0-9_]*\b/g, (name) => {
      const query = byId.get(name);
      return query && isMath(query) ? `(${expand(query.expression)})` : name;
    });
  const query = byId.get(id);
  if (!query) throw new Error(`no query ${id}`);
  return isMath(query) ? expand(query.expression) : id;
}

/** The ids of the metric queries an expression reads, directly or through other expressions. */
export function metricsOf(id: string, queries: readonly Query[]): string[] {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const found = new Set<string>();
  const visit = (name: string): void => {
    const query = byId.get(name);
    if (!query) return;
    if (!isMath(query)) {
      found.add(name);
      return;
    }
    for (const ref of query.expression.match(/\b[a-z][A-Za-z0-9_]*\b/g) ?? []) visit(ref);
  };
  visit(id);
  return queries.filter((q) => found.has(q.id)).map((q) => q.id);
}
