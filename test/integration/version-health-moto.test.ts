/**
 * Both versions' figures through a local AWS: Lambda-shaped metrics written to moto_server's CloudWatch with
 * PutMetricData (namespace AWS/Lambda, dimensions FunctionName, Resource = <function>:<alias>, ExecutedVersion), read
 * back by the plugin's GetMetricData requests — directly, and by the live view following a rollout whose CodeDeploy
 * side is scripted (moto never progresses a CodeDeploy deployment).
 *
 * moto computes no percentile and fails a whole GetMetricData request that asks for one: a proxy in front of it
 * (./moto-server.ts, startPercentileProxy) answers the p99 queries with no data point, the rest is moto's own answer;
 * the p99 itself is covered by the unit tests.
 */
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { readVersionHealth } from '../../src/deploy/aws';
import { plainSink } from '../../src/deploy/live-view';
import { RolloutWatcher } from '../../src/deploy/rollout-watcher';
import { canarySuccess } from '../unit/deploy/scenarios';
import { APP, at, FakeClock, mocks, play } from '../unit/deploy/timeline';
import { describeWithMoto, MOTO_CREDENTIALS, startMoto, startPercentileProxy, type MotoServer } from './moto-server';

const describeMoto = describeWithMoto('test/integration/version-health-moto.test.ts');

/** Lambda's per-minute figures of one version through the alias, as PutMetricData data. */
function minuteOf(version: string, minute: number, calls: number, errors: number, averageMs: number): MetricDatum[] {
  const Dimensions = [
    { Name: 'FunctionName', Value: 'svc-dev-api' },
    { Name: 'Resource', Value: 'svc-dev-api:live' },
    { Name: 'ExecutedVersion', Value: version },
  ];
  const Timestamp = at(minute * 60 + 10);
  return [
    { MetricName: 'Invocations', Dimensions, Timestamp, Value: calls, Unit: 'Count' },
    { MetricName: 'Errors', Dimensions, Timestamp, Value: errors, Unit: 'Count' },
    {
      MetricName: 'Duration',
      Dimensions,
      Timestamp,
      StatisticValues: { SampleCount: calls, Sum: calls * averageMs, Minimum: 1, Maximum: 3 * averageMs },
      Unit: 'Milliseconds',
    },
  ];
}

describeMoto('both versions through moto_server CloudWatch', () => {
  let moto: MotoServer;
  let proxy: { endpoint: string; close(): Promise<void> };
  let cloudWatch: CloudWatchClient;

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startPercentileProxy(moto.endpoint);
    cloudWatch = new CloudWatchClient({ region: 'us-east-1', endpoint: proxy.endpoint, credentials: MOTO_CREDENTIALS });
    // A canary from 08:40:25: version 6 serves 900 calls a minute (1 error), version 7 100 (4 errors) from 08:41.
    const data: MetricDatum[] = [];
    for (let minute = 0; minute < 6; minute += 1) {
      data.push(...minuteOf('6', minute, 900, 1, 30));
      if (minute >= 1) data.push(...minuteOf('7', minute, 100, 4, 45));
    }
    // Another alias of the same function and another function: never counted.
    data.push(
      {
        MetricName: 'Invocations',
        Dimensions: [
          { Name: 'FunctionName', Value: 'svc-dev-api' },
          { Name: 'Resource', Value: 'svc-dev-api:other' },
          { Name: 'ExecutedVersion', Value: '7' },
        ],
        Timestamp: at(70),
        Value: 5000,
      },
      {
        MetricName: 'Invocations',
        Dimensions: [
          { Name: 'FunctionName', Value: 'svc-dev-worker' },
          { Name: 'Resource', Value: 'svc-dev-worker:live' },
          { Name: 'ExecutedVersion', Value: '7' },
        ],
        Timestamp: at(70),
        Value: 5000,
      },
    );
    const direct = new CloudWatchClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: MOTO_CREDENTIALS,
    });
    for (let i = 0; i < data.length; i += 20)
      await direct.send(new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: data.slice(i, i + 20) }));
  });

  afterAll(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  it("reads each version's calls, errors and average duration over the rollout", async () => {
    const health = await readVersionHealth(
      cloudWatch,
      [
        {
          key: 'd-CANARY1',
          functionName: 'svc-dev-api',
          alias: 'live',
          newVersion: '7',
          previousVersion: '6',
          from: at(25),
          to: at(350),
        },
      ],
      at(400),
    );
    expect(health.get('d-CANARY1')).toEqual({
      from: at(25),
      to: at(350),
      newVersion: { version: '7', invocations: 500, errors: 20, errorRate: 4, averageMs: 45 },
      previousVersion: { version: '6', invocations: 5400, errors: 6, errorRate: (100 * 6) / 5400, averageMs: 30 },
    });
  });

  it('the live view shows them and closes with the two versions compared', async () => {
    const m = mocks();
    const clock = new FakeClock();
    play(m, clock, { deployments: [canarySuccess()] });
    // Only CodeDeploy is scripted: CloudWatch is moto's.
    m.cloudWatch.restore();
    const lines: string[] = [];
    const warnings: string[] = [];
    const watcher = new RolloutWatcher({
      codeDeploy: new CodeDeployClient({ region: 'us-east-1' }),
      cloudWatch,
      functions: [
        {
          name: 'api',
          alias: 'live',
          applicationName: APP,
          groupName: 'svc-dev-ApiTrafficShiftDeploymentGroup-X1',
          hooks: {},
        },
      ],
      since: clock.now(),
      sink: plainSink((line) => lines.push(line)),
      warn: (w) => warnings.push(w),
      clock,
    });
    try {
      while (clock.second < 400) {
        await watcher.poll();
        await clock.sleep(5000);
      }
      await watcher.finish({ timeoutMs: 30000 });
    } finally {
      m.codeDeploy.restore();
      m.cloudFormation.restore();
      m.lambda.restore();
    }
    expect(warnings).toEqual([]);
    expect(
      lines.some((l) =>
        l.includes(
          '· version 7: 100 calls, 4 errors (4%), avg 45 ms; version 6: 1,800 calls, 2 errors (0.11%), avg 30 ms',
        ),
      ),
    ).toBe(true);
    expect(lines.slice(-2)).toEqual([
      '[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)',
      '[traffic] api: version 7 against version 6 over the rollout (5m 25s): error rate 4% against 0.11% (+3.89 points), ' +
        'average 45 ms against 30 ms (1.5×); 500 and 5,400 calls',
    ]);
  });
});
