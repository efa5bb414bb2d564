/**
 * The optional CloudWatch dashboard of the stage (`dashboard: true`): per shifted function, its calls by version and
 * the two versions' error rate and average duration side by side, from the same metric definitions as the comparison
 * alarms (./version-metrics.ts): the new version is the one this stack deployed last, the previous version's figures
 * are the alias's minus the new version's. The body follows "Dashboard Body Structure and Syntax" (CloudWatch API
 * Reference): a 24-column grid of text and metric widgets; each metric `[Namespace, MetricName, name, value, …,
 * {rendering}]`, each expression `[{expression, label, id}]`. It is a JSON string joined around the Refs and GetAtts
 * of the functions and versions (`Fn::Join`, which serverless-plugin-split-stacks follows like any reference). Pure.
 */
import type { ShiftedFunction } from '../config/resolve';
import { invalidSetting } from '../errors';
import { getAtt, ref, type CfnResource } from '../types/cloudformation';
import {
  durationQueries,
  errorRateQueries,
  inlineExpression,
  isMath,
  metricsOf,
  trafficQueries,
  type MetricScope,
  type Query,
} from './version-metrics';

export interface DashboardFunction {
  fn: ShiftedFunction;
  versionLogicalId: string;
}

/** CloudWatch's limits on a dashboard: widgets, and metrics across all widgets (those only read by math included). */
export const MAX_DASHBOARD_WIDGETS = 500;
export const MAX_DASHBOARD_METRICS = 2500;

const PERIOD = 60;
const ROW_HEIGHT = 6;

/** A value CloudFormation fills in: marked in the JSON text, then joined around. */
type Token = { Ref: string } | { 'Fn::GetAtt': [string, string] };
const MARK = '\u0000';

export function trafficDashboard(functions: readonly DashboardFunction[]): CfnResource {
  const tokens: Token[] = [];
  const token = (value: Token): string => `${MARK}${tokens.push(value) - 1}${MARK}`;
  const region = token(ref('AWS::Region'));

  const widgets: Record<string, unknown>[] = [
    {
      type: 'text',
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: {
        markdown:
          '# Traffic shift: each new version against the one it replaces\n' +
          "Per function: calls by version, error rate and average duration. The new version is the one the last deploy published; the previous version's figures are the alias's minus the new version's (none once all traffic moved).",
      },
    },
  ];
  functions.forEach(({ fn, versionLogicalId }, i) => {
    const y = 2 + i * (ROW_HEIGHT + 1);
    const functionName = token(ref(fn.logicalId));
    const version = token(getAtt(versionLogicalId, 'Version'));
    const alias = ['FunctionName', functionName, 'Resource', `${functionName}:${fn.alias}`];
    const dimensions: Record<MetricScope, string[]> = {
      alias,
      newVersion: [...alias, 'ExecutedVersion', version],
    };
    const graph = (x: number, title: string, queries: Query[], shown: [string, string][], extra = {}) => ({
      type: 'metric',
      x,
      y: y + 1,
      width: 8,
      height: ROW_HEIGHT,
      properties: {
        title,
        view: 'timeSeries',
        region,
        period: PERIOD,
        stat: 'Sum',
        metrics: graphMetrics(queries, shown, dimensions),
        ...extra,
      },
    });
    widgets.push(
      {
        type: 'text',
        x: 0,
        y,
        width: 24,
        height: 1,
        properties: { markdown: `## ${fn.name} (alias ${fn.alias}): version ${version} against the previous one` },
      },
      graph(
        0,
        `${fn.name}: calls by version`,
        trafficQueries(),
        [
          ['newInvocations', `version ${version} (new)`],
          ['previousInvocations', 'previous version'],
        ],
        { stacked: true },
      ),
      graph(
        8,
        `${fn.name}: error rate (%)`,
        errorRateQueries(),
        [
          ['newErrorRate', `version ${version} (new)`],
          ['previousErrorRate', 'previous version'],
        ],
        { yAxis: { left: { min: 0, label: '%', showUnits: false } } },
      ),
      graph(
        16,
        `${fn.name}: average duration (ms)`,
        durationQueries(),
        [
          ['newAverageDuration', `version ${version} (new)`],
          ['previousAverageDuration', 'previous version'],
        ],
        { yAxis: { left: { min: 0, label: 'ms', showUnits: false } } },
      ),
    );
  });

  const metricCount = widgets.reduce(
    (n, w) =>
      n + ((w.properties as { metrics?: unknown[][] }).metrics ?? []).filter((m) => typeof m[0] === 'string').length,
    0,
  );
  if (widgets.length > MAX_DASHBOARD_WIDGETS || metricCount > MAX_DASHBOARD_METRICS) {
    throw invalidSetting(
      {},
      'dashboard',
      `is true, and the ${functions.length} shifted functions need ${widgets.length} widgets and ${metricCount} metrics, ` +
        `more than CloudWatch's limits for a dashboard (${MAX_DASHBOARD_WIDGETS} widgets, ${MAX_DASHBOARD_METRICS} metrics)`,
      'Turn dashboard off.',
    );
  }

  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      // Dashboards are global to the account: the region keeps two regions' stacks of one name apart.
      DashboardName: { 'Fn::Sub': '${AWS::StackName}-${AWS::Region}-traffic-shift' },
      DashboardBody: joinAround(JSON.stringify({ start: '-PT3H', periodOverride: 'inherit', widgets }), tokens),
    },
  };
}

/**
 * A graph's `metrics`: the metric queries the shown expressions read, hidden, then each shown expression written out
 * (so intermediate expressions draw no lines of their own).
 */
function graphMetrics(
  queries: Query[],
  shown: [string, string][],
  dimensions: Record<MetricScope, string[]>,
): unknown[][] {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const read = [...new Set(shown.flatMap(([id]) => metricsOf(id, queries)))];
  const expressions = new Set(shown.filter(([id]) => isMath(byId.get(id) as Query)).map(([id]) => id));
  const rows: unknown[][] = read.map((id) => {
    const q = byId.get(id) as Query;
    if (isMath(q)) throw new Error(`${id} is an expression`);
    const label = shown.find(([shownId]) => shownId === id)?.[1] ?? q.label;
    return [
      'AWS/Lambda',
      q.metric,
      ...dimensions[q.scope],
      { id, stat: q.stat, label, ...(!shown.some(([s]) => s === id) && { visible: false }) },
    ];
  });
  for (const [id, label] of shown) {
    if (expressions.has(id)) rows.push([{ expression: inlineExpression(id, queries), label, id }]);
  }
  return rows;
}

/** The JSON text as an `Fn::Join` of its literal parts and the tokens marked in it (JSON escapes the mark). */
function joinAround(text: string, tokens: readonly Token[]): unknown {
  const parts = text.split('\\u0000');
  if (parts.length === 1) return text;
  // Literal, token index, literal, …
  return {
    'Fn::Join': [
      '',
      parts.map((part, i) => (i % 2 === 1 ? (tokens[Number(part)] as Token) : part)).filter((p) => p !== ''),
    ],
  };
}
