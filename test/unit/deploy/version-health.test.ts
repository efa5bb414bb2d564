/** Both versions' figures: the GetMetricData requests for many rollouts, the reading of the answers, the words. */
import {
  closingLine,
  comparisonText,
  figuresText,
  healthJson,
  periodFor,
  planRequests,
  readAnswers,
  type HealthWindow,
  type MetricValues,
  type VersionHealth,
} from '../../../src/deploy/version-health';

const T0 = Date.parse('2026-11-28T08:40:00Z');
const at = (second: number): Date => new Date(T0 + second * 1000);

const window = (i: number, from: number, to: number): HealthWindow => ({
  key: `d-${i}`,
  functionName: `svc-fn${i}`,
  alias: 'live',
  newVersion: '7',
  previousVersion: '6',
  from: at(from),
  to: at(to),
});

describe('planRequests', () => {
  it('puts 62 rollouts in a request (8 queries each, at most 500), whatever the number of functions', () => {
    for (const n of [1, 62, 63, 200]) {
      const { requests } = planRequests(
        Array.from({ length: n }, (_, i) => window(i, 25 + i, 600)),
        at(600),
      );
      expect(requests).toHaveLength(Math.ceil(n / 62));
      expect(Math.max(...requests.map((r) => r.queries.length))).toBeLessThanOrEqual(500);
      expect(requests.reduce((total, r) => total + r.queries.length, 0)).toBe(8 * n);
      expect(new Set(requests.flatMap((r) => r.queries.map((q) => q.Id))).size).toBe(Math.min(n, 62) * 8);
    }
  });

  it('starts at the first rollout’s minute; gives each rollout a p99 period from there to its end', () => {
    const { requests } = planRequests([window(0, 25, 350), window(1, 70, 200)], at(400));
    const [request] = requests;
    expect(request?.startTime).toEqual(at(0));
    expect(request?.endTime).toEqual(at(360));
    const p99 = request?.queries.filter((q) => q.MetricStat?.Stat === 'p99').map((q) => [q.Id, q.MetricStat?.Period]);
    expect(p99).toEqual([
      ['w0np99', 360],
      ['w0pp99', 360],
      ['w1np99', 240],
      ['w1pp99', 240],
    ]);
  });

  it('keeps rollouts more than six hours apart in requests of their own, with the resolution CloudWatch still has', () => {
    const now = new Date(T0 + 20 * 86400_000);
    const old = { ...window(0, 0, 600) };
    const recent = { ...window(1, 0, 600), from: new Date(now.getTime() - 3600_000), to: now };
    const { requests, windows } = planRequests([recent, old], now);
    expect(windows.map((g) => g.map((w) => w.key))).toEqual([['d-0'], ['d-1']]);
    expect(requests.map((r) => r.queries[0]?.MetricStat?.Period)).toEqual([300, 60]);
    expect(periodFor(new Date(now.getTime() - 70 * 86400_000), now)).toBe(3600);
  });

  it('leaves out a rollout whose window is empty', () => {
    expect(planRequests([window(0, 30, 30)], at(30)).requests).toEqual([]);
  });
});

describe('readAnswers', () => {
  it("adds up each rollout's own minutes, and takes the p99 of its one period (the highest, should several come)", () => {
    const planned = planRequests([window(0, 25, 350), window(1, 130, 350)], at(400));
    const perMinute = (values: number[]): MetricValues => ({
      timestamps: values.map((_, k) => at(k * 60)),
      values,
    });
    const answer = new Map<string, MetricValues>([
      ['w0ninv', perMinute([0, 100, 100, 100, 100, 100])],
      ['w0nerr', perMinute([0, 2, 2, 2, 2, 2])],
      ['w0ndur', perMinute([0, 3500, 3500, 3500, 3500, 3500])],
      ['w0np99', { timestamps: [at(0)], values: [120] }],
      ['w0pinv', perMinute([900, 900, 900, 900, 900, 900])],
      ['w0pp99', { timestamps: [at(0), at(300)], values: [90, 95] }],
      // The second rollout began at 130s: its minutes from 120s on count.
      ['w1ninv', perMinute([50, 50, 50, 50, 50, 50])],
    ]);
    const health = readAnswers(planned, [answer]);
    expect(health.get('d-0')).toEqual({
      from: at(25),
      to: at(350),
      newVersion: { version: '7', invocations: 500, errors: 10, errorRate: 2, averageMs: 35, p99Ms: 120 },
      // No Duration data point of version 6 in this answer: no average rather than 0 ms.
      previousVersion: { version: '6', invocations: 5400, errors: 0, errorRate: 0, p99Ms: 95 },
    });
    expect(health.get('d-1')?.newVersion.invocations).toBe(200);
    expect(health.get('d-1')?.previousVersion).toEqual({ version: '6', invocations: 0, errors: 0 });
  });
});

const HEALTH: VersionHealth = {
  from: at(25),
  to: at(350),
  newVersion: { version: '7', invocations: 1250, errors: 25, errorRate: 2, averageMs: 35.4, p99Ms: 1250 },
  previousVersion: { version: '6', invocations: 11250, errors: 1, errorRate: 100 / 11250, averageMs: 4.25, p99Ms: 9 },
};

describe('the words', () => {
  it('figures of one version', () => {
    expect(figuresText(HEALTH.newVersion)).toBe('version 7: 1,250 calls, 25 errors (2%), avg 35 ms, p99 1,250 ms');
    expect(figuresText(HEALTH.previousVersion)).toBe('version 6: 11,250 calls, 1 error (0.01%), avg 4.3 ms, p99 9 ms');
    expect(figuresText({ version: '7', invocations: 0, errors: 0 })).toBe('version 7: no calls');
  });

  it('the two versions compared, and the closing line', () => {
    expect(comparisonText(HEALTH)).toBe(
      'error rate 2% against 0.01% (+1.99 points), average 35 ms against 4.3 ms (8.33×), p99 1,250 ms against 9 ms',
    );
    expect(closingLine('api', HEALTH)).toBe(
      'api: version 7 against version 6 over the rollout (5m 25s): error rate 2% against 0.01% (+1.99 points), ' +
        'average 35 ms against 4.3 ms (8.33×), p99 1,250 ms against 9 ms; 1,250 and 11,250 calls',
    );
    const better = { ...HEALTH, newVersion: { ...HEALTH.newVersion, errors: 0, errorRate: 0 } };
    expect(comparisonText(better)).toMatch(/^error rate 0% against 0\.01% \(-0\.01 points\)/);
  });

  it('one version without calls: each version’s figures; no call at all: no line', () => {
    const before = { ...HEALTH, newVersion: { version: '7', invocations: 0, errors: 0 } };
    expect(closingLine('api', before)).toBe(
      'api: over the rollout (5m 25s): version 7: no calls; version 6: 11,250 calls, 1 error (0.01%), avg 4.3 ms, p99 9 ms',
    );
    expect(closingLine('api', { ...before, previousVersion: { version: '6', invocations: 0, errors: 0 } })).toBe(
      undefined,
    );
    expect(closingLine('api', undefined)).toBeUndefined();
  });

  it('as data', () => {
    expect(healthJson(HEALTH)).toEqual({
      from: '2026-11-28T08:40:25.000Z',
      to: '2026-11-28T08:45:50.000Z',
      new: { version: '7', invocations: 1250, errors: 25, errorRate: 2, averageMs: 35.4, p99Ms: 1250 },
      previous: { version: '6', invocations: 11250, errors: 1, errorRate: 100 / 11250, averageMs: 4.25, p99Ms: 9 },
    });
  });
});
