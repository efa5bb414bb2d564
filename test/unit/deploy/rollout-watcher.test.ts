/**
 * The live view against scripted CodeDeploy/CloudWatch timelines (aws-sdk-client-mock): what the user sees in a
 * non-interactive terminal (plain lines at each change), the warnings, and the requests made.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { plainSink } from '../../../src/deploy/live-view';
import { RolloutWatcher, type WatchedFunction } from '../../../src/deploy/rollout-watcher';
import { alarmRollback, ALARM_REASON, canarySuccess, hookFailure, linearSuccess } from './scenarios';
import {
  APP,
  BatchGetDeploymentsCommand,
  BatchGetDeploymentTargetsCommand,
  at,
  callCounts,
  FakeClock,
  GetMetricDataCommand,
  ListDeploymentsCommand,
  mocks,
  play,
  total,
  type Script,
} from './timeline';

const m = mocks();
afterEach(() => m.reset());

const API: WatchedFunction = {
  name: 'api',
  alias: 'live',
  applicationName: APP,
  groupName: 'svc-dev-ApiTrafficShiftDeploymentGroup-X1',
  hooks: { before: 'smoke tests (TrafficShiftSmokeTestHook)' },
};
const WORKER: WatchedFunction = {
  name: 'worker',
  alias: 'live',
  applicationName: APP,
  groupName: 'svc-dev-WorkerTrafficShiftDeploymentGroup-X2',
  hooks: {},
};

function setup(functions: WatchedFunction[], script: Script, options: { targetCallsPerPoll?: number } = {}) {
  const clock = new FakeClock();
  const lines: string[] = [];
  const warnings: string[] = [];
  play(m, clock, script);
  const watcher = new RolloutWatcher({
    codeDeploy: new CodeDeployClient({ region: 'us-east-1' }),
    cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
    functions,
    since: clock.now(),
    sink: plainSink((line) => lines.push(line)),
    warn: (w) => warnings.push(w),
    clock,
    intervalMs: 5000,
    ...options,
  });
  /** Polls as the deploy does until CloudFormation would be done at `second`, then ends the view. */
  const runUntil = async (second: number) => {
    while (clock.second < second) {
      await watcher.poll();
      await clock.sleep(watcher.intervalMs);
    }
    return watcher.finish({ timeoutMs: 60000 });
  };
  return { clock, lines, warnings, watcher, runUntil };
}

const apiAlarm = { alarmsOfGroup: { [API.groupName]: ['svc-dev-api-errors'] } };

describe('canary success', () => {
  it('shows each change once: created, pre-traffic hook, 10% with the next shift, 100%, done', async () => {
    const { lines, warnings, runUntil } = setup([API], { deployments: [canarySuccess()], ...apiAlarm });
    const views = await runUntil(400);
    const hook = 'pre-traffic hook smoke tests (TrafficShiftSmokeTestHook)';
    expect(lines).toEqual([
      '[traffic] api: waiting for CloudFormation to start the CodeDeploy deployment',
      `[traffic] api: deployment d-CANARY1 created (Canary10Percent5Minutes) · ${hook} pending · alarms: 1 OK`,
      `[traffic] api: 0% on version 7, 100% on version 6, checks before any traffic moves (Canary10Percent5Minutes) · ${hook} running · alarms: 1 OK`,
      `[traffic] api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:40 UTC · ${hook} passed · alarms: 1 OK`,
      `[traffic] api: 100% on version 7 (Canary10Percent5Minutes) · step 2/2 · ${hook} passed · alarms: 1 OK`,
      '[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)',
    ]);
    expect(warnings).toEqual([]);
    expect(views.map((v) => [v.name, v.phase, v.failed])).toEqual([['api', 'succeeded', false]]);
  });

  it('a redrawn line counts down to the next shift', async () => {
    const { watcher, clock, runUntil } = setup([API], { deployments: [canarySuccess()] });
    while (clock.second < 100) {
      await watcher.poll();
      await clock.sleep(5000);
    }
    const { progressLine } = await import('../../../src/deploy/live-view-text');
    const [view] = watcher.views();
    expect(progressLine(view!, { now: clock.now(), countdown: true })).toContain('100% at 08:45:40 UTC (in 4m 00s)');
    await runUntil(400);
  });
});

describe('linear success', () => {
  it('prints every step of a linear schedule and no line twice', async () => {
    const { lines, warnings, runUntil } = setup([WORKER], { deployments: [linearSuccess()] });
    await runUntil(600);
    const steps = lines.filter((l) => l.includes('· step'));
    expect(steps).toHaveLength(10);
    expect(steps[0]).toBe(
      '[traffic] worker: 10% on version 4, 90% on version 3 (Linear10PercentEvery1Minute) · step 1/10 · 20% at 08:41:30 UTC',
    );
    expect(steps[4]).toBe(
      '[traffic] worker: 50% on version 4, 50% on version 3 (Linear10PercentEvery1Minute) · step 5/10 · 60% at 08:45:30 UTC',
    );
    expect(steps[9]).toBe('[traffic] worker: 100% on version 4 (Linear10PercentEvery1Minute) · step 10/10');
    expect(lines[lines.length - 1]).toBe(
      '[traffic] worker: done, 100% on version 4 (Linear10PercentEvery1Minute, 9m 05s)',
    );
    expect(new Set(lines).size).toBe(lines.length);
    expect(warnings).toEqual([]);
  });

  it('a poll that takes time: each line shows the share of its own step (the view is reckoned after the reads)', async () => {
    // Each reading of the clock moves it on by ten seconds: the reads of a poll happen well after its start.
    class MovingClock extends FakeClock {
      override now(): Date {
        const now = super.now();
        this.second += 10;
        return now;
      }
    }
    const clock = new MovingClock();
    const lines: string[] = [];
    play(m, clock, { deployments: [linearSuccess()] });
    const watcher = new RolloutWatcher({
      codeDeploy: new CodeDeployClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      functions: [WORKER],
      since: clock.now(),
      sink: plainSink((line) => lines.push(line)),
      warn: () => undefined,
      clock,
      intervalMs: 5000,
    });
    while (clock.second < 600) {
      await watcher.poll();
      await clock.sleep(5000);
    }
    const steps = lines.flatMap((l) => {
      const match = / (\d+)% on version 4, .* step (\d+)\/10/.exec(l);
      return match ? [[Number(match[1]), Number(match[2]) * 10]] : [];
    });
    expect(steps.length).toBeGreaterThanOrEqual(9);
    for (const [share, due] of steps) expect(share).toBe(due);
  });

  it('reads the schedule of a custom deployment configuration once', async () => {
    const custom = 'svc-dev-TrafficShiftConfigLinear25PercentEvery2Minutes-Q';
    const { lines, runUntil } = setup([WORKER], {
      deployments: [linearSuccess({ configName: custom })],
      configs: { [custom]: { type: 'TimeBasedLinear', percentage: 25, interval: 2 } },
    });
    await runUntil(600);
    expect(lines.some((l) => l.includes('(Linear25PercentEvery2Minutes) · step 1/4 · 50% at 08:42:30 UTC'))).toBe(true);
    expect(callCounts(m).GetDeploymentConfigCommand).toBe(1);
  });
});

describe('alarm rollback', () => {
  it('names the alarm and its reason, remembered after the alarm went back to OK, and follows the rollback', async () => {
    const { lines, runUntil } = setup([{ ...API, hooks: {} }], {
      deployments: alarmRollback(),
      ...apiAlarm,
      alarms: [
        {
          name: 'svc-dev-api-errors',
          states: [
            { at: 0, state: 'OK' },
            { at: 95, state: 'ALARM', reason: ALARM_REASON },
            { at: 130, state: 'OK' },
          ],
        },
      ],
    });
    const views = await runUntil(200);
    expect(lines).toContain(
      '[traffic] api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:25 UTC · alarms: ALARM: svc-dev-api-errors',
    );
    const cause = `alarm "svc-dev-api-errors" fired: ${ALARM_REASON}`;
    expect(lines).toContain(`[traffic] api: rolling back to version 6: ${cause} · alarms: ALARM: svc-dev-api-errors`);
    expect(lines[lines.length - 1]).toBe(
      `[traffic] api: rolled back (deployment d-ALARM1): ${cause} Alias "live" is back on version 6.`,
    );
    expect(views[0]).toMatchObject({ phase: 'rolledBack', failed: true, finished: true, cause });
  });
});

describe('hook failure', () => {
  it('names the hook and its message', async () => {
    const { lines, runUntil } = setup([API], { deployments: [hookFailure()] });
    const [view] = await runUntil(100);
    expect(view?.cause).toBe(
      'the pre-traffic hook (smoke tests (TrafficShiftSmokeTestHook)) reported failure or did not report within an hour: ' +
        'smoke test "GET /health" of api: expected statusCode 200, got 502',
    );
    expect(lines[lines.length - 1]).toBe(
      `[traffic] api: rollout failed (deployment d-HOOK1): ${view?.cause}. Alias "live" goes back to version 6.`,
    );
  });
});

describe('throttling', () => {
  it('backs off while AWS throttles, says so, recovers, and still shows the outcome', async () => {
    const { lines, warnings, watcher, clock, runUntil } = setup([API], { deployments: [canarySuccess()] });
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    const intervals: number[] = [];
    // ListDeployments is throttled between 30s and 80s (after the SDK's own retries).
    m.codeDeploy.on(ListDeploymentsCommand).callsFake(() => {
      if (clock.second >= 30 && clock.second < 80) throw throttled;
      return { deployments: clock.second >= 20 ? ['d-CANARY1'] : [] };
    });
    while (clock.second < 400) {
      await watcher.poll();
      intervals.push(watcher.intervalMs);
      await clock.sleep(watcher.intervalMs);
    }
    await runUntil(0);
    expect(warnings).toEqual([
      'AWS is throttling the progress view (ThrottlingException: Rate exceeded); reading every 10s now.',
      'AWS is throttling the progress view (ThrottlingException: Rate exceeded); reading every 20s now.',
      'AWS is throttling the progress view (ThrottlingException: Rate exceeded); reading every 40s now.',
    ]);
    expect(Math.max(...intervals)).toBe(40000);
    // Back to the base interval after three good polls per halving.
    expect(intervals[intervals.length - 1]).toBe(5000);
    expect(lines[lines.length - 1]).toBe('[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)');
  });
});

describe('a deployment that cannot be read', () => {
  it('warns once when its traffic cannot be read, shows its status instead, and carries on', async () => {
    const { lines, warnings, runUntil } = setup([API], { deployments: [canarySuccess()] });
    m.codeDeploy.on(BatchGetDeploymentTargetsCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: codedeploy:BatchGetDeploymentTargets'), {
        name: 'AccessDeniedException',
      }),
    );
    const [view] = await runUntil(400);
    expect(warnings).toEqual([
      'Could not read the traffic of api (deployment d-CANARY1): AccessDeniedException: User is not authorized to perform: codedeploy:BatchGetDeploymentTargets. The view carries on without it.',
    ]);
    expect(lines).toContain(
      '[traffic] api: deployment d-CANARY1 in progress (Canary10Percent5Minutes) · pre-traffic hook smoke tests (TrafficShiftSmokeTestHook) pending',
    );
    expect(view?.phase).toBe('succeeded');
  });

  it('warns once when deployments cannot be read at all, and never throws', async () => {
    const { lines, warnings, runUntil } = setup([API], { deployments: [canarySuccess()] });
    m.codeDeploy
      .on(BatchGetDeploymentsCommand)
      .rejects(Object.assign(new Error('Access denied'), { name: 'AccessDeniedException' }));
    const [view] = await runUntil(60);
    expect(warnings).toEqual([
      'Could not read CodeDeploy deployments d-CANARY1: AccessDeniedException: Access denied. The view carries on without it.',
    ]);
    expect(lines).toEqual(['[traffic] api: waiting for CloudFormation to start the CodeDeploy deployment']);
    expect(view?.phase).toBe('waiting');
  });

  it('a sink that throws while drawing costs one warning; the polls go on and never throw', async () => {
    const clock = new FakeClock();
    const warnings: string[] = [];
    play(m, clock, { deployments: [canarySuccess()] });
    let draws = 0;
    const watcher = new RolloutWatcher({
      codeDeploy: new CodeDeployClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      functions: [API],
      since: clock.now(),
      sink: {
        update: () => {
          draws += 1;
          throw new TypeError("Cannot read properties of undefined (reading 'notice')");
        },
        close: () => undefined,
      },
      warn: (w) => warnings.push(w),
      clock,
    });
    for (let second = 0; second < 120; second += 5) {
      await expect(watcher.poll()).resolves.toBeUndefined();
      await clock.sleep(5000);
    }
    expect(draws).toBe(24);
    expect(warnings).toEqual([
      "The progress view could not be drawn (TypeError: Cannot read properties of undefined (reading 'notice')); it carries on.",
    ]);
    expect(watcher.hasDeployment('api')).toBe(true);
  });

  it('ignores deployments of other stacks and those that had ended before the deploy', async () => {
    const { lines, runUntil } = setup([API], {
      deployments: [
        canarySuccess({ id: 'd-OLD', createdAt: 0, phases: [{ at: 0, status: 'Succeeded', weight: 1 }] }),
        canarySuccess({ id: 'd-OTHER', application: 'other-app', createdAt: 5 }),
        canarySuccess(),
      ],
    });
    await runUntil(400);
    expect(lines.join('\n')).not.toMatch(/d-OLD|d-OTHER/);
    expect(lines[lines.length - 1]).toContain('done');
  });
});

describe('requests per poll', () => {
  function fleet(n: number): { functions: WatchedFunction[]; script: Script } {
    const functions: WatchedFunction[] = [];
    const script: Script = { deployments: [], alarmsOfGroup: {} };
    for (let i = 0; i < n; i += 1) {
      const group = `group-${i}`;
      functions.push({ name: `fn${i}`, alias: 'live', applicationName: APP, groupName: group, hooks: {} });
      script.alarmsOfGroup![group] = [`fn${i}-errors`, `fn${i}-throttles`];
      script.deployments.push(
        canarySuccess({
          id: `d-${i}`,
          group,
          functionName: `svc-dev-fn${i}`,
          createdAt: 0,
          phases: [
            { at: 0, status: 'Created' },
            {
              at: 1,
              status: 'InProgress',
              weight: 0.1,
              events: { BeforeAllowTraffic: { status: 'Skipped' }, AllowTraffic: { status: 'InProgress', start: 1 } },
            },
          ],
        }),
      );
    }
    return { functions, script };
  }

  it.each([1, 10, 50])(
    'one poll for %i functions makes 1 ListDeployments, ceil(n/25) BatchGetDeployments, ceil(alarms/100) DescribeAlarms and at most 4 target reads',
    async (n) => {
      const { functions, script } = fleet(n);
      const { watcher, clock } = setup(functions, script);
      await watcher.poll(); // first poll: discovers the deployments and reads each group's alarms once
      const first = callCounts(m);
      expect(first.BatchGetDeploymentGroupsCommand).toBe(Math.ceil(n / 25));
      for (let poll = 0; poll < 3; poll += 1) {
        m.codeDeploy.resetHistory();
        m.cloudWatch.resetHistory();
        await clock.sleep(5000);
        await watcher.poll();
        const counts = callCounts(m);
        expect(counts.ListDeploymentsCommand).toBe(1);
        expect(counts.BatchGetDeploymentsCommand).toBe(Math.ceil(n / 25));
        expect(counts.DescribeAlarmsCommand).toBe(Math.ceil((2 * n) / 100));
        expect(
          (counts.ListDeploymentTargetsCommand ?? 0) + (counts.BatchGetDeploymentTargetsCommand ?? 0),
        ).toBeLessThanOrEqual(4);
        expect(counts.BatchGetDeploymentGroupsCommand).toBeUndefined();
        // Both versions' figures, at most once a minute: 8 queries a rollout, 500 a request.
        expect(counts.GetMetricDataCommand ?? 0).toBeLessThanOrEqual(Math.ceil(n / 62));
        expect(total(counts)).toBeLessThanOrEqual(
          1 + Math.ceil(n / 25) + Math.ceil((2 * n) / 100) + 4 + Math.ceil(n / 62),
        );
      }
      // 50 functions, 100 alarm names: 1 + 2 + 1 + 4 = 8 requests (and one GetMetricData in a poll a minute).
      const last = callCounts(m);
      if (n === 50) expect(total(last) - (last.GetMetricDataCommand ?? 0)).toBe(8);
    },
  );

  it('when 50 rollouts succeed, the view ends without reading each one again', async () => {
    const { functions, script } = fleet(50);
    for (const d of script.deployments) d.phases.push({ at: 100, status: 'Succeeded', weight: 1 });
    const { watcher, clock } = setup(functions, script);
    while (clock.second < 120) {
      await watcher.poll();
      await clock.sleep(5000);
    }
    const views = await watcher.finish({ timeoutMs: 30000 });
    // Rollouts never read yet (the budget reads two new ones per poll) are read once; the others are not waited for.
    expect(clock.second).toBeLessThanOrEqual(130);
    expect(views.every((v) => v.phase === 'succeeded' && v.toVersion === '7')).toBe(true);
  });

  it('every rollout gets its traffic read in turn', async () => {
    const { functions, script } = fleet(10);
    const { watcher, clock } = setup(functions, script);
    for (let poll = 0; poll < 8; poll += 1) {
      await watcher.poll();
      await clock.sleep(5000);
    }
    expect(watcher.views().every((v) => v.toVersion === '7' && v.percent === 10)).toBe(true);
  });
});

describe("both versions' figures (CloudWatch GetMetricData)", () => {
  /** Version 6 serves 900 calls a minute until the shift to 100 % at 340s; version 7 100 a minute from 40s, then 1000. */
  const traffic: Script['traffic'] = [
    {
      functionName: 'svc-dev-api',
      version: '6',
      from: 0,
      to: 340,
      callsPerMinute: 900,
      errorsPerMinute: 1,
      averageMs: 30,
      p99Ms: 90,
    },
    {
      functionName: 'svc-dev-api',
      version: '7',
      from: 40,
      to: 340,
      callsPerMinute: 100,
      errorsPerMinute: 2,
      averageMs: 35,
      p99Ms: 120,
    },
    { functionName: 'svc-dev-api', version: '7', from: 340, callsPerMinute: 1000, averageMs: 35, p99Ms: 120 },
  ];

  it('shows them once calls came, reads them once a minute, and closes with the two versions compared', async () => {
    const { lines, warnings, runUntil } = setup([{ ...API, functionName: 'svc-dev-api' }], {
      deployments: [canarySuccess()],
      traffic,
    });
    const views = await runUntil(400);
    const hook = 'pre-traffic hook smoke tests (TrafficShiftSmokeTestHook) passed';
    expect(lines).toContain(
      `[traffic] api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:40 UTC · ${hook} · ` +
        'version 7: 100 calls, 2 errors (2%), avg 35 ms, p99 120 ms; version 6: 1,800 calls, 2 errors (0.11%), avg 30 ms, p99 90 ms',
    );
    // Before any call of the new version was published, the line says so.
    expect(lines.filter((l) => l.includes('version 7: no calls; version 6: 900 calls'))).toHaveLength(1);
    // Lambda publishes a minute once it is over: the closing report holds the minutes published by the end.
    expect(lines.slice(-2)).toEqual([
      '[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)',
      '[traffic] api: version 7 against version 6 over the rollout (5m 25s): error rate 2% against 0.11% (+1.89 points), ' +
        'average 35 ms against 30 ms (1.17×), p99 120 ms against 90 ms; 400 and 4,500 calls',
    ]);
    expect(views[0]?.health).toMatchObject({
      from: at(25),
      to: at(350),
      newVersion: { version: '7', invocations: 400, errors: 8, errorRate: 2, averageMs: 35, p99Ms: 120 },
      previousVersion: { version: '6', invocations: 4500, errors: 5, averageMs: 30, p99Ms: 90 },
    });
    expect(warnings).toEqual([]);
    // Once a minute from the first poll after the versions were known (30s) to 330s, and once more after the end: 7.
    expect(m.cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(7);
  });

  it('asks for the rollout only: from the start of its first minute, per minute, and one p99 period', async () => {
    const { runUntil } = setup([{ ...API, functionName: 'svc-dev-api' }], { deployments: [canarySuccess()], traffic });
    await runUntil(400);
    const last = m.cloudWatch.commandCalls(GetMetricDataCommand).pop()?.args[0].input;
    expect(last?.StartTime).toEqual(at(0));
    expect(last?.EndTime).toEqual(at(360));
    expect(
      last?.MetricDataQueries?.map((q) => [
        q.Id,
        q.MetricStat?.Metric?.MetricName,
        q.MetricStat?.Stat,
        q.MetricStat?.Period,
      ]),
    ).toEqual([
      ['w0ninv', 'Invocations', 'Sum', 60],
      ['w0nerr', 'Errors', 'Sum', 60],
      ['w0ndur', 'Duration', 'Sum', 60],
      ['w0np99', 'Duration', 'p99', 360],
      ['w0pinv', 'Invocations', 'Sum', 60],
      ['w0perr', 'Errors', 'Sum', 60],
      ['w0pdur', 'Duration', 'Sum', 60],
      ['w0pp99', 'Duration', 'p99', 360],
    ]);
    expect(last?.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'FunctionName', Value: 'svc-dev-api' },
      { Name: 'Resource', Value: 'svc-dev-api:live' },
      { Name: 'ExecutedVersion', Value: '7' },
    ]);
  });

  it('50 rollouts: one GetMetricData a minute for all of them (400 queries)', async () => {
    const functions: WatchedFunction[] = [];
    const script: Script = { deployments: [], traffic: [] };
    for (let i = 0; i < 50; i += 1) {
      functions.push({ name: `fn${i}`, alias: 'live', applicationName: APP, groupName: `group-${i}`, hooks: {} });
      script.deployments.push(canarySuccess({ id: `d-${i}`, group: `group-${i}`, functionName: `svc-dev-fn${i}` }));
      script.traffic?.push(
        { functionName: `svc-dev-fn${i}`, version: '6', from: 0, callsPerMinute: 90 },
        { functionName: `svc-dev-fn${i}`, version: '7', from: 40, callsPerMinute: 10 + i },
      );
    }
    const { watcher, clock } = setup(functions, script);
    const perPoll: number[] = [];
    const queries: number[] = [];
    while (clock.second < 300) {
      m.cloudWatch.resetHistory();
      await watcher.poll();
      const calls = m.cloudWatch.commandCalls(GetMetricDataCommand);
      perPoll.push(calls.length);
      queries.push(...calls.map((c) => c.args[0].input.MetricDataQueries?.length ?? 0));
      await clock.sleep(5000);
    }
    expect(Math.max(...perPoll)).toBe(1);
    expect(Math.max(...queries)).toBe(400);
    // The target of each rollout is read in turn (4 reads a poll), so all rollouts are in the reads from 2 minutes on.
    expect(perPoll.filter((n) => n > 0).length).toBeLessThanOrEqual(Math.ceil(300 / 60) + 1);
    expect(watcher.views().map((v) => v.health?.newVersion.invocations)).toEqual(
      Array.from({ length: 50 }, (_, i) => 3 * (10 + i)),
    );
  });

  it('a rollout that rolls back closes with the two versions compared too', async () => {
    const { lines, runUntil } = setup([{ ...API, hooks: {}, functionName: 'svc-dev-api' }], {
      deployments: alarmRollback(),
      ...apiAlarm,
      alarms: [{ name: 'svc-dev-api-errors', states: [{ at: 95, state: 'ALARM', reason: ALARM_REASON }] }],
      traffic: [
        { functionName: 'svc-dev-api', version: '6', from: 0, callsPerMinute: 900, errorsPerMinute: 1 },
        { functionName: 'svc-dev-api', version: '7', from: 0, to: 100, callsPerMinute: 100, errorsPerMinute: 30 },
      ],
    });
    const [view] = await runUntil(200);
    expect(view?.phase).toBe('rolledBack');
    expect(lines[lines.length - 2]).toMatch(/^\[traffic\] api: rolled back \(deployment d-ALARM1\)/);
    // The alarm fired at 95s on the first minute's figures, published at 60s; the rollout ended at 100s, before the
    // second minute was: the closing line holds the first.
    expect(lines[lines.length - 1]).toBe(
      '[traffic] api: version 7 against version 6 over the rollout (1m 15s): error rate 30% against 0.11% (+29.89 points), ' +
        'average 10 ms against 10 ms (1×), p99 20 ms against 20 ms; 100 and 900 calls',
    );
  });

  it('figures that cannot be read: one warning, no figures, the rollout followed to its end', async () => {
    const { lines, warnings, runUntil } = setup([{ ...API, functionName: 'svc-dev-api' }], {
      deployments: [canarySuccess()],
      traffic,
    });
    m.cloudWatch.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: cloudwatch:GetMetricData'), {
        name: 'AccessDenied',
      }),
    );
    const [view] = await runUntil(400);
    expect(warnings).toEqual([
      "Could not read the versions' figures (CloudWatch GetMetricData): AccessDenied: User is not authorized to perform: cloudwatch:GetMetricData. The view carries on without it.",
    ]);
    expect(lines[lines.length - 1]).toBe('[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)');
    expect(view).toMatchObject({ phase: 'succeeded' });
    expect(view?.health).toBeUndefined();
  });
});
