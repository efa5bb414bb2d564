/**
 * Each rollout's two versions side by side: the calls each served through the alias since the rollout began, how many
 * failed, and how long they ran — from Lambda's metrics per alias and executed version (dimensions FunctionName,
 * Resource = <function>:<alias>, ExecutedVersion), read with GetMetricData. Pure: the requests and the reading of
 * their answers; ./aws.ts sends them.
 *
 * One request serves many rollouts (8 queries each, at most 500 a request), so the requests per read do not grow with
 * the number of functions. Calls, errors and the sum of durations come per period and are added up over each
 * rollout's own periods; the p99 of a rollout is one period from the request's start to the rollout's end (for the
 * previous version it may so include the minutes before its rollout in which the same deploy started others).
 * CloudWatch keeps one-minute data for 15 days, five-minute data for 63 days, hourly data beyond.
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { duration, percent } from './format';

/** What to read for one rollout. */
export interface HealthWindow {
  /** The rollout's key (its deployment id). */
  key: string;
  /** The Lambda function's physical name. */
  functionName: string;
  alias: string;
  newVersion: string;
  previousVersion: string;
  from: Date;
  to: Date;
}

export interface VersionFigures {
  version: string;
  invocations: number;
  errors: number;
  /** Percent of the invocations; undefined without invocations. */
  errorRate?: number;
  /** Milliseconds: the sum of durations over the invocations. */
  averageMs?: number;
  /** Milliseconds. */
  p99Ms?: number;
}

export interface VersionHealth {
  from: Date;
  to: Date;
  newVersion: VersionFigures;
  previousVersion: VersionFigures;
}

export interface MetricRequest {
  startTime: Date;
  endTime: Date;
  /** Seconds: the period of the calls, errors and durations (the p99 has one period per rollout). */
  period: number;
  queries: MetricDataQuery[];
}

/** GetMetricData's answer for one query id. */
export interface MetricValues {
  timestamps: Date[];
  values: number[];
}

export const QUERIES_PER_REQUEST = 500;
const QUERIES_PER_WINDOW = 8;
export const WINDOWS_PER_REQUEST = Math.floor(QUERIES_PER_REQUEST / QUERIES_PER_WINDOW);
/** Rollouts further apart than this go into requests of their own (keeps each answer to one page). */
const MAX_REQUEST_SPAN_MS = 6 * 3600_000;
const DAY_MS = 86400_000;

type Side = 'n' | 'p';
type Stat = 'inv' | 'err' | 'dur' | 'p99';
const STATS: { stat: Stat; metric: string; statistic: string }[] = [
  { stat: 'inv', metric: 'Invocations', statistic: 'Sum' },
  { stat: 'err', metric: 'Errors', statistic: 'Sum' },
  { stat: 'dur', metric: 'Duration', statistic: 'Sum' },
  { stat: 'p99', metric: 'Duration', statistic: 'p99' },
];

/** The resolution CloudWatch still holds for data as old as `from`. */
export function periodFor(from: Date, now: Date): number {
  const age = now.getTime() - from.getTime();
  return age < 15 * DAY_MS ? 60 : age < 63 * DAY_MS ? 300 : 3600;
}

const floorTo = (ms: number, seconds: number): number => Math.floor(ms / (seconds * 1000)) * seconds * 1000;
const ceilTo = (ms: number, seconds: number): number => Math.ceil(ms / (seconds * 1000)) * seconds * 1000;
const queryId = (index: number, side: Side, stat: Stat): string => `w${index}${side}${stat}`;

export interface PlannedRequests {
  requests: MetricRequest[];
  /** Per request, the windows it reads, in the order of their ids (`w<i>…`). */
  windows: HealthWindow[][];
}

/** The GetMetricData requests for these rollouts: windows sorted by start, 62 a request, none spanning over 6 hours. */
export function planRequests(windows: readonly HealthWindow[], now: Date): PlannedRequests {
  const sorted = [...windows].filter((w) => w.to > w.from).sort((a, b) => a.from.getTime() - b.from.getTime());
  const groups: HealthWindow[][] = [];
  for (const w of sorted) {
    const group = groups[groups.length - 1];
    const first = group?.[0];
    if (
      group &&
      first &&
      group.length < WINDOWS_PER_REQUEST &&
      Math.max(w.to.getTime(), ...group.map((g) => g.to.getTime())) - first.from.getTime() <= MAX_REQUEST_SPAN_MS
    )
      group.push(w);
    else groups.push([w]);
  }
  const requests = groups.map((group) => {
    const period = periodFor((group[0] as HealthWindow).from, now);
    const start = floorTo((group[0] as HealthWindow).from.getTime(), period);
    const end = ceilTo(Math.max(...group.map((w) => w.to.getTime())), period);
    const queries: MetricDataQuery[] = group.flatMap((w, i) =>
      (['n', 'p'] as Side[]).flatMap((side) =>
        STATS.map(({ stat, metric, statistic }) => ({
          Id: queryId(i, side, stat),
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Lambda',
              MetricName: metric,
              Dimensions: [
                { Name: 'FunctionName', Value: w.functionName },
                { Name: 'Resource', Value: `${w.functionName}:${w.alias}` },
                { Name: 'ExecutedVersion', Value: side === 'n' ? w.newVersion : w.previousVersion },
              ],
            },
            // The p99 in one period from the request's start to the rollout's end; the rest per period.
            Period: stat === 'p99' ? Math.max(period * 1000, ceilTo(w.to.getTime(), period) - start) / 1000 : period,
            Stat: statistic,
          },
          ReturnData: true,
        })),
      ),
    );
    return { startTime: new Date(start), endTime: new Date(Math.max(end, start + period * 1000)), period, queries };
  });
  return { requests, windows: groups };
}

/** Each rollout's figures from the answers to `planRequests`, by window key. */
export function readAnswers(
  planned: PlannedRequests,
  answers: readonly ReadonlyMap<string, MetricValues>[],
): Map<string, VersionHealth> {
  const health = new Map<string, VersionHealth>();
  planned.windows.forEach((group, r) => {
    const answer = answers[r];
    const request = planned.requests[r];
    if (!answer || !request) return;
    group.forEach((w, i) => {
      const from = floorTo(w.from.getTime(), request.period);
      const inWindow = (t: Date): boolean => t.getTime() >= from && t.getTime() < w.to.getTime();
      /** The sum of the data points in the rollout's periods, undefined without any. */
      const sum = (side: Side, stat: Stat): number | undefined => {
        const values = answer.get(queryId(i, side, stat));
        let total: number | undefined;
        values?.values.forEach((v, k) => {
          const t = values.timestamps[k];
          if (t && inWindow(t)) total = (total ?? 0) + v;
        });
        return total;
      };
      const figures = (side: Side, version: string): VersionFigures => {
        const invocations = sum(side, 'inv') ?? 0;
        const errors = sum(side, 'err') ?? 0;
        const durations = sum(side, 'dur');
        // One data point expected; several (another alignment) give the highest, an upper bound.
        const p99 = answer.get(queryId(i, side, 'p99'))?.values;
        return {
          version,
          invocations,
          errors,
          ...(invocations > 0 && { errorRate: (100 * errors) / invocations }),
          ...(invocations > 0 && durations !== undefined && { averageMs: durations / invocations }),
          ...(invocations > 0 && p99 && p99.length > 0 && { p99Ms: Math.max(...p99) }),
        };
      };
      health.set(w.key, {
        from: w.from,
        to: w.to,
        newVersion: figures('n', w.newVersion),
        previousVersion: figures('p', w.previousVersion),
      });
    });
  });
  return health;
}

export const hasCalls = (health: VersionHealth | undefined): health is VersionHealth =>
  health !== undefined && health.newVersion.invocations + health.previousVersion.invocations > 0;

/** `1,080` */
const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `1 call`, `1,080 calls` */
const counted = (n: number, word: string): string => `${count(n)} ${Math.round(n) === 1 ? word : `${word}s`}`;

/** `35 ms`, `4.2 ms`, `1,250 ms` */
export function milliseconds(ms: number): string {
  return ms < 10 ? `${Number(ms.toFixed(1))} ms` : `${count(ms)} ms`;
}

/** `version 7: 120 calls, 2 errors (1.67%), avg 35 ms, p99 120 ms` */
export function figuresText(f: VersionFigures): string {
  if (f.invocations === 0) return `version ${f.version}: no calls`;
  return [
    `version ${f.version}: ${counted(f.invocations, 'call')}`,
    `${counted(f.errors, 'error')} (${percent(f.errorRate ?? 0)})`,
    ...(f.averageMs !== undefined ? [`avg ${milliseconds(f.averageMs)}`] : []),
    ...(f.p99Ms !== undefined ? [`p99 ${milliseconds(f.p99Ms)}`] : []),
  ].join(', ');
}

/** Both versions' figures, for the live line: `version 7: …; version 6: …` */
export function healthText(h: VersionHealth): string {
  return `${figuresText(h.newVersion)}; ${figuresText(h.previousVersion)}`;
}

/**
 * The new version against the previous one, when both served calls:
 * `error rate 1.67% against 0.09% (+1.58 points), average 35 ms against 30 ms (1.17×), p99 120 ms against 90 ms`
 */
export function comparisonText(h: VersionHealth): string | undefined {
  const n = h.newVersion;
  const p = h.previousVersion;
  if (n.invocations === 0 || p.invocations === 0) return undefined;
  const points = (n.errorRate ?? 0) - (p.errorRate ?? 0);
  const parts = [
    `error rate ${percent(n.errorRate ?? 0)} against ${percent(p.errorRate ?? 0)} (${points >= 0 ? '+' : '-'}${Number(Math.abs(points).toFixed(2))} points)`,
  ];
  if (n.averageMs !== undefined && p.averageMs !== undefined) {
    parts.push(
      `average ${milliseconds(n.averageMs)} against ${milliseconds(p.averageMs)}` +
        (p.averageMs > 0 ? ` (${Number((n.averageMs / p.averageMs).toFixed(2))}×)` : ''),
    );
  }
  if (n.p99Ms !== undefined && p.p99Ms !== undefined)
    parts.push(`p99 ${milliseconds(n.p99Ms)} against ${milliseconds(p.p99Ms)}`);
  return parts.join(', ');
}

/**
 * The closing report of a rollout that ended: `api: version 7 against version 6 over the rollout (5m 25s): …; 120
 * and 1,080 calls`, or each version's figures when one of them served no call. Undefined when neither did.
 */
export function closingLine(name: string, h: VersionHealth | undefined): string | undefined {
  if (!hasCalls(h)) return undefined;
  const span = duration(h.to.getTime() - h.from.getTime());
  const compared = comparisonText(h);
  if (compared) {
    return (
      `${name}: version ${h.newVersion.version} against version ${h.previousVersion.version} over the rollout (${span}): ` +
      `${compared}; ${count(h.newVersion.invocations)} and ${count(h.previousVersion.invocations)} calls`
    );
  }
  return `${name}: over the rollout (${span}): ${healthText(h)}`;
}

/** The figures as data (`traffic status --json`). */
export function healthJson(h: VersionHealth): Record<string, unknown> {
  const version = (f: VersionFigures) => ({
    version: f.version,
    invocations: f.invocations,
    errors: f.errors,
    errorRate: f.errorRate ?? null,
    averageMs: f.averageMs ?? null,
    p99Ms: f.p99Ms ?? null,
  });
  return {
    from: h.from.toISOString(),
    to: h.to.toISOString(),
    new: version(h.newVersion),
    previous: version(h.previousVersion),
  };
}
