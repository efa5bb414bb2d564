/**
 * The deploy-time half of the plugin as users operate it: the real `serverless` CLI (3.40.0), spawned, against a
 * local AWS (./local-aws: moto_server, a local CloudFormation and a CodeDeploy stand-in on an accelerated clock).
 * One service (test/fixtures/e2e) goes through the scenarios in order, each asserted on the exact output (clock
 * times and durations normalised): first deploy, a canary that succeeds, a linear rollout printing every step, a
 * weight set by hand that makes `sls deploy` refuse before uploading anything, a rollout rolled back by an alarm,
 * one failed by its pre-traffic hook, `traffic watch` following a rollout started by another deploy, `traffic
 * rollback` stopping a running one, `status`, `status --json`, `shift` and `promote` in each state, the AWS
 * failures of the commands, and both versions' figures: Lambda-shaped metrics written into moto's CloudWatch, read
 * back by `status` after a canary and after an alarm's rollback, and by a deploy's live view and closing report.
 *
 * The transcripts in docs/commands.md marked `<!-- e2e: <name> -->` are compared with what these tests printed
 * (last test), so the documentation shows what the product prints.
 */
import { writeFileSync } from 'fs';
import * as path from 'path';
import { ListBucketsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  DescribeAlarmsCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import { describeWithMoto } from '../integration/moto-server';
import { normalise, serviceCopy, spawnSls, trafficLines, type Run } from './cli';
import { Transcripts } from './transcripts';
import { FAULT_KEYS, startLocalAws, type HookOutcome, type LocalAws } from './local-aws';

/** Virtual time runs this many times faster than real time: a five-minute canary takes ten seconds. */
const SPEED = 30;
const describeE2e = describeWithMoto('test/e2e/rollouts.test.ts');

/** What the scenarios printed, by the name the docs use for the transcript (marker `e2e`). */
const transcripts = new Transcripts('e2e');
const record = (name: string, text: string): string => transcripts.record(name, text);

/** The error the framework printed (on stdout), from `Error:` on. */
const errorBlock = (run: Run): string => run.stdout.slice(run.stdout.indexOf('Error:')).trim();

describeE2e('operating rollouts through the CLI, against a local AWS', () => {
  let aws: LocalAws;
  let svc: ReturnType<typeof serviceCopy>;

  beforeAll(async () => {
    aws = await startLocalAws({ speed: SPEED });
    svc = serviceCopy();
  }, 60000);

  afterAll(async () => {
    await aws?.stop();
    svc?.remove();
  });

  afterEach(() => expect(aws.problems()).toEqual([]));

  const env = (credentials?: { accessKeyId: string; secretAccessKey: string }): Record<string, string> =>
    aws.cliEnv(credentials);
  const start = (args: string[], extra: Record<string, string> = {}) =>
    spawnSls(args, { cwd: svc.dir, home: svc.home, env: { ...env(), ...extra } });
  const sls = (args: string[], extra: Record<string, string> = {}): Promise<Run> => start(args, extra).done;
  const change = (fn: 'api' | 'worker', content: string): void =>
    writeFileSync(path.join(svc.dir, `${fn}.txt`), `${fn} ${content}\n`);
  const alias = async (fn: string) => {
    const a = await aws.lambda.send(new GetAliasCommand({ FunctionName: `svc-prod-${fn}`, Name: 'live' }));
    return { version: a.FunctionVersion, weights: a.RoutingConfig?.AdditionalVersionWeights ?? {} };
  };
  /** Resolves when the function's latest deployment matches. */
  const deploymentOf = async (fn: string, match: (d: { status: string; step?: number }) => boolean) => {
    for (let i = 0; i < 2000; i++) {
      const mine = aws.codeDeploy.list().filter((d) => d.functionName === `svc-prod-${fn}`);
      const last = mine[mine.length - 1];
      if (last && match(last)) return last;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no matching deployment of ${fn}: ${JSON.stringify(aws.codeDeploy.list())}`);
  };
  const alarmOf = async (fn: 'Api' | 'Worker'): Promise<string> => {
    const { MetricAlarms } = await aws.cloudWatch.send(new DescribeAlarmsCommand({}));
    const found = (MetricAlarms ?? []).find((a) => a.AlarmName?.includes(`${fn}TrafficShiftErrorsAlarm`));
    return found?.AlarmName as string;
  };
  /** A hook that reports only when the test says so. */
  const hold = (): { release(outcome?: HookOutcome): void } => {
    let release!: (outcome: HookOutcome) => void;
    aws.hooks.set('svc-prod-check', new Promise<HookOutcome>((resolve) => (release = resolve)));
    return { release: (outcome = 'Succeeded') => release(outcome) };
  };
  /** A deployment of api as the CodeDeploy stand-in answers for it: its times (virtual epoch ms) and versions. */
  const rolloutOf = async (id: string) => {
    const { deploymentInfo: d } = (await aws.codeDeploy.handle('GetDeployment', { deploymentId: id })) as {
      deploymentInfo: { startTime: number; completeTime?: number };
    };
    const { deploymentTargets } = (await aws.codeDeploy.handle('BatchGetDeploymentTargets', {
      deploymentId: id,
      targetIds: ['svc-prod-api:live'],
    })) as {
      deploymentTargets: {
        lambdaTarget: {
          lifecycleEvents: { lifecycleEventName: string; startTime?: number }[];
          lambdaFunctionInfo: { currentVersion: string; targetVersion: string };
        };
      }[];
    };
    const target = deploymentTargets[0]?.lambdaTarget;
    const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : Math.round(seconds * 1000));
    return {
      start: ms(d.startTime) as number,
      allowTraffic: ms(target?.lifecycleEvents.find((e) => e.lifecycleEventName === 'AllowTraffic')?.startTime),
      end: ms(d.completeTime),
      newVersion: target?.lambdaFunctionInfo.targetVersion as string,
      previousVersion: target?.lambdaFunctionInfo.currentVersion as string,
    };
  };
  /**
   * One period of Lambda's figures for a version of api called through the alias, as PutMetricData data: what
   * src/deploy/version-health.ts reads (namespace AWS/Lambda, dimensions FunctionName, Resource = function:alias,
   * ExecutedVersion; the sums of Invocations, Errors and Duration).
   */
  const callsOf = (version: string, atMs: number, calls: number, errors: number, averageMs: number): MetricDatum[] => {
    const Dimensions = [
      { Name: 'FunctionName', Value: 'svc-prod-api' },
      { Name: 'Resource', Value: 'svc-prod-api:live' },
      { Name: 'ExecutedVersion', Value: version },
    ];
    const Timestamp = new Date(atMs);
    return [
      { MetricName: 'Invocations', Dimensions, Timestamp, Value: calls, Unit: 'Count' },
      { MetricName: 'Errors', Dimensions, Timestamp, Value: errors, Unit: 'Count' },
      {
        MetricName: 'Duration',
        Dimensions,
        Timestamp,
        StatisticValues: { SampleCount: calls, Sum: calls * averageMs, Minimum: averageMs / 2, Maximum: averageMs * 3 },
        Unit: 'Milliseconds',
      },
    ];
  };
  const putMetrics = async (data: MetricDatum[]): Promise<void> => {
    await aws.cloudWatch.send(new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: data }));
  };
  const SECOND = 1000;
  const MINUTE = 60 * SECOND;

  it('first deploy: the stack and aliases are created, nothing shifts and it says why', async () => {
    const run = await sls(['deploy']);
    expect(run.status).toBe(0);
    expect(normalise(run.stderr)).toBe(
      [
        '',
        'Deploying svc to stage prod (us-east-1)',
        'serverless-traffic-shift:',
        '  api: Canary10Percent5Minutes through alias "live" (0m → 10%, 5m → 100%)',
        '  worker: Linear10PercentEvery1Minute through alias "live" (0m → 10%, 1m → 20%, 2m → 30%, 3m → 40%, 4m → 50%, 5m → 60%, 6m → 70%, 7m → 80%, 8m → 90%, 9m → 100%)',
        '  check: not managed (pre-traffic hook of api; hooks are never shifted)',
        record(
          'deploy-first',
          [
            '[traffic] api: nothing shifts: first deploy of the stack: CloudFormation creates the alias on the new version directly; gradual shifting starts with the next deploy that changes its code or configuration.',
            '[traffic] worker: nothing shifts: first deploy of the stack: CloudFormation creates the alias on the new version directly; gradual shifting starts with the next deploy that changes its code or configuration.',
          ].join('\n'),
        ),
        '',
        '✔ Service deployed to stack svc-prod (<duration>)',
        '',
      ].join('\n'),
    );
    expect(await alias('api')).toEqual({ version: '1', weights: {} });
  });

  it('status before any rollout, in words and as JSON', async () => {
    // Read-only commands run side by side, as they may.
    const [run, json] = await Promise.all([
      sls(['traffic', 'status']),
      sls(['traffic', 'status', '--json', '--function', 'api']),
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      [
        'Traffic status of stage "prod" (stack svc-prod, us-east-1)',
        '',
        'api',
        '  alias         live → version 1 (100%)',
        '  strategy      Canary10Percent5Minutes',
        '  last rollout  none yet (the first deploy creates the alias; the next one with new code shifts)',
        '  in progress   no',
        '',
        'worker',
        '  alias         live → version 1 (100%)',
        '  strategy      Linear10PercentEvery1Minute',
        '  last rollout  none yet (the first deploy creates the alias; the next one with new code shifts)',
        '  in progress   no',
        '',
      ].join('\n'),
    );
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      stage: 'prod',
      region: 'us-east-1',
      stack: 'svc-prod',
      functions: [
        {
          name: 'api',
          alias: { name: 'live', deployed: true, versions: [{ version: '1', percent: 100 }] },
          strategy: 'Canary10Percent5Minutes',
          lastRollout: null,
          inProgress: null,
          weightedByHand: false,
        },
      ],
    });
  });

  it('a canary deploy: created, checked by the pre-traffic hook, 10%, done', async () => {
    change('api', '2');
    const run = await sls(['deploy']);
    expect(run.status).toBe(0);
    expect(normalise(trafficLines(run))).toBe(
      normalise(
        record(
          'deploy-canary',
          [
            '[traffic] worker: nothing shifts: its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.',
            '[traffic] following the rollout of api (CodeDeploy)',
            '[traffic] api: waiting for CloudFormation to start the CodeDeploy deployment',
            `[traffic] api: deployment ${aws.codeDeploy.list()[0]?.id} created (Canary10Percent5Minutes) · pre-traffic hook function check pending · alarms: 1 OK`,
            '[traffic] api: 0% on version 2, 100% on version 1, checks before any traffic moves (Canary10Percent5Minutes) · pre-traffic hook function check running · alarms: 1 OK',
            '[traffic] api: 10% on version 2, 90% on version 1 (Canary10Percent5Minutes) · step 1/2 · 100% at HH:MM:SS UTC · pre-traffic hook function check passed · alarms: 1 OK',
            '[traffic] api: 100% on version 2 · pre-traffic hook function check passed · alarms: 1 OK',
            '[traffic] api: done, 100% on version 2 (Canary10Percent5Minutes, <duration>)',
          ].join('\n'),
        ),
      ),
    );
    record('deploy-canary', trafficLines(run));
    expect(await alias('api')).toEqual({ version: '2', weights: {} });
  });

  it('a linear deploy prints every step', async () => {
    change('worker', '2');
    const run = await sls(['deploy']);
    expect(run.status).toBe(0);
    const id = aws.codeDeploy.list().filter((d) => d.functionName === 'svc-prod-worker')[0]?.id as string;
    const steps = Array.from({ length: 9 }, (_, i) => {
      const share = (i + 1) * 10;
      return `[traffic] worker: ${share}% on version 2, ${100 - share}% on version 1 (Linear10PercentEvery1Minute) · step ${i + 1}/10 · ${share + 10}% at HH:MM:SS UTC · alarms: 1 OK`;
    });
    expect(normalise(record('deploy-linear', trafficLines(run)))).toBe(
      [
        '[traffic] api: nothing shifts: its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.',
        '[traffic] following the rollout of worker (CodeDeploy)',
        '[traffic] worker: waiting for CloudFormation to start the CodeDeploy deployment',
        `[traffic] worker: deployment ${id} created (Linear10PercentEvery1Minute) · alarms: 1 OK`,
        ...steps,
        '[traffic] worker: 100% on version 2 · alarms: 1 OK',
        '[traffic] worker: done, 100% on version 2 (Linear10PercentEvery1Minute, <duration>)',
      ].join('\n'),
    );
  });

  it('a weight set by hand: shift, status, sls deploy refused before anything is uploaded, rollback of the weight', async () => {
    const shift = await sls(['traffic', 'shift', '--function', 'worker', '--weight', '25', '--to-version', '1']);
    expect(shift.status).toBe(0);
    expect(record('shift', shift.stdout.trim())).toBe(
      [
        'worker: alias "live" serves version 2 (75%), version 1 (25%) (was version 2 (100%)).',
        '  finish: serverless traffic promote --function worker --stage prod --region us-east-1',
        '  undo:   serverless traffic rollback --function worker --stage prod --region us-east-1',
        '  sls deploy refuses to run while the alias is weighted by hand.',
      ].join('\n'),
    );
    expect(await alias('worker')).toEqual({ version: '2', weights: { '1': 0.25 } });

    const [status, weighted] = await Promise.all([
      sls(['traffic', 'status']),
      sls(['traffic', 'status', '--json', '--function', 'worker']),
    ]);
    expect(normalise(record('status-weighted', status.stdout.trim()))).toBe(
      [
        'Traffic status of stage "prod" (stack svc-prod, us-east-1)',
        '',
        'api',
        '  alias         live → version 2 (100%)',
        '  strategy      Canary10Percent5Minutes',
        `  last rollout  ${aws.codeDeploy.list()[0]?.id} Succeeded, Canary10Percent5Minutes, started by CloudFormation (stack update)`,
        '                YYYY-MM-DD HH:MM:SS UTC → HH:MM:SS UTC (<duration>)',
        '  in progress   no',
        '',
        'worker',
        '  alias         live → version 2 (75%), version 1 (25%)',
        '  strategy      Linear10PercentEvery1Minute',
        `  last rollout  ${aws.codeDeploy.list()[1]?.id} Succeeded, Linear10PercentEvery1Minute, started by CloudFormation (stack update)`,
        '                YYYY-MM-DD HH:MM:SS UTC → HH:MM:SS UTC (<duration>)',
        '  in progress   no, but the alias is weighted by hand (sls deploy refuses to run until this is resolved)',
        '                finish: serverless traffic promote --function worker --stage prod --region us-east-1',
        '                undo:   serverless traffic rollback --function worker --stage prod --region us-east-1',
      ].join('\n'),
    );
    const json = JSON.parse(weighted.stdout) as { functions: { weightedByHand: boolean; alias: unknown }[] };
    expect(json.functions[0]).toMatchObject({
      weightedByHand: true,
      alias: {
        versions: [
          { version: '2', percent: 75 },
          { version: '1', percent: 25 },
        ],
      },
    });

    // The deploy refuses before anything is uploaded: no change set, no new object in the deployment bucket.
    const bucket = await deploymentBucket();
    const objects = await objectCount(bucket);
    const changeSets = aws.cloudFormation.changeSetLog.length;
    change('api', '3');
    const refused = await sls(['deploy']);
    expect(refused.status).toBe(1);
    expect(record('deploy-refused', errorBlock(refused))).toBe(
      [
        'Error:',
        'Deploy refused: an alias is left weighted by "serverless traffic shift". CodeDeploy cannot shift an alias that already points at two versions, so this deploy would fail halfway:',
        '  - worker: alias "live" serves version 2 (75%), version 1 (25%)',
        '      finish it: serverless traffic promote --function worker --stage prod --region us-east-1',
        '      undo it:   serverless traffic rollback --function worker --stage prod --region us-east-1',
        'Then run the deploy again. [TRAFFIC_SHIFT_MANUAL_WEIGHT]',
      ].join('\n'),
    );
    expect(aws.cloudFormation.changeSetLog).toHaveLength(changeSets);
    expect(await objectCount(bucket)).toBe(objects);

    const rollback = await sls(['traffic', 'rollback']);
    expect(rollback.status).toBe(0);
    expect(record('rollback-weight', rollback.stdout.trim())).toBe(
      [
        'api: nothing to roll back: no rollout in progress, alias "live" serves version 2 (100%).',
        'worker: removed the weight set by hand (it was version 2 (75%), version 1 (25%)): alias "live" serves version 2 (100%).',
      ].join('\n'),
    );
    expect(await alias('worker')).toEqual({ version: '2', weights: {} });
  });

  it('promote: all traffic to the weighted version; without a weight it says there is nothing to promote', async () => {
    const nothing = await sls(['traffic', 'promote', '--function', 'worker']);
    expect(nothing.status).toBe(1);
    expect(errorBlock(nothing)).toBe(
      [
        'Error:',
        'Alias "live" of svc-prod-worker serves version 2 only: there is no weighted version to promote. Start with "serverless traffic shift --function <name> --weight <percent>". [TRAFFIC_SHIFT_ALIAS_STATE]',
      ].join('\n'),
    );
    expect((await sls(['traffic', 'shift', '-f', 'worker', '--weight', '20', '--to-version', '1'])).status).toBe(0);
    const promote = await sls(['traffic', 'promote', '--function', 'worker']);
    expect(promote.status).toBe(0);
    expect(record('promote', promote.stdout.trim())).toBe(
      [
        'worker: alias "live" serves version 1 (100%) (was version 2 (80%), version 1 (20%)).',
        '  The stack still records version 2 for the alias: the alias was moved outside CloudFormation.',
      ].join('\n'),
    );
    expect(await alias('worker')).toEqual({ version: '1', weights: {} });
  });

  it("status after a completed canary: both versions' figures over the rollout, the new one against the previous one", async () => {
    const canary = aws.codeDeploy.list()[0]?.id as string;
    const rollout = await rolloutOf(canary);
    expect(rollout).toMatchObject({ newVersion: '2', previousVersion: '1' });
    expect((rollout.end as number) - rollout.start).toBe(6 * MINUTE + 15 * SECOND);
    // The canary of api (version 1 to 2) as Lambda would have counted it, a data point a minute inside its window:
    // version 1 alone during the pre-traffic hook's minute, then 90% of the calls, version 2 10% and more errors.
    const data: MetricDatum[] = callsOf('1', rollout.start + 30 * SECOND, 1000, 1, 20);
    for (let minute = 1; minute <= 5; minute += 1) {
      const at = rollout.start + 30 * SECOND + minute * MINUTE;
      data.push(...callsOf('1', at, 900, 1, 20), ...callsOf('2', at, 100, 3, 25));
    }
    await putMetrics(data);

    // By hand: version 2: 5 × 100 = 500 calls, 5 × 3 = 15 errors (3%), 25 ms; version 1: 1,000 + 5 × 900 = 5,500
    // calls, 6 errors (0.109…%, shown 0.11%), 20 ms. 3 − 0.109… = 2.89 points; 25 ms / 20 ms = 1.25×.
    const [status, json] = await Promise.all([
      sls(['traffic', 'status', '--function', 'api']),
      sls(['traffic', 'status', '--json', '--function', 'api']),
    ]);
    expect(status.status).toBe(0);
    expect(normalise(record('status-figures', status.stdout.trim()))).toBe(
      [
        'Traffic status of stage "prod" (stack svc-prod, us-east-1)',
        '',
        'api',
        '  alias         live → version 2 (100%)',
        '  strategy      Canary10Percent5Minutes',
        `  last rollout  ${canary} Succeeded, Canary10Percent5Minutes, started by CloudFormation (stack update)`,
        '                YYYY-MM-DD HH:MM:SS UTC → HH:MM:SS UTC (<duration>)',
        '  versions      version 2: 500 calls, 15 errors (3%), avg 25 ms (new)',
        '                version 1: 5,500 calls, 6 errors (0.11%), avg 20 ms (previous)',
        '                new against previous over the rollout: error rate 3% against 0.11% (+2.89 points), average 25 ms against 20 ms (1.25×)',
        '  in progress   no',
      ].join('\n'),
    );
    expect(json.status).toBe(0);
    const [api] = (JSON.parse(json.stdout) as { functions: { lastRollout: { versions: unknown } }[] }).functions;
    expect(api?.lastRollout.versions).toEqual({
      from: new Date(rollout.start).toISOString(),
      to: new Date(rollout.end as number).toISOString(),
      new: { version: '2', invocations: 500, errors: 15, errorRate: 3, averageMs: 25, p99Ms: null },
      previous: { version: '1', invocations: 5500, errors: 6, errorRate: (100 * 6) / 5500, averageMs: 20, p99Ms: null },
    });
  });

  it('a rollout rolled back by an alarm: the deploy fails with the alarm, its reason and the version served', async () => {
    change('api', '3');
    const deploy = start(['deploy']);
    const { id } = await deploymentOf('api', (d) => d.step === 1);
    // Calls through the alias before the alarm fires: version 2 alone during the pre-traffic hook, then 90%; version
    // 3 10%, and failing. Written 20 s into the canary step, at times before then, so that they fall in the rollout.
    const rollout = await rolloutOf(id);
    const shifted = rollout.allowTraffic as number;
    await aws.clock.sleep(shifted + 20 * SECOND - aws.clock.nowMs());
    await putMetrics([
      ...callsOf('2', rollout.start + 10 * SECOND, 400, 0, 30),
      ...callsOf('2', rollout.start + 40 * SECOND, 400, 1, 30),
      ...callsOf('2', shifted + 5 * SECOND, 400, 0, 30),
      ...callsOf('2', shifted + 15 * SECOND, 400, 0, 30),
      ...callsOf('3', shifted + 5 * SECOND, 20, 1, 90),
      ...callsOf('3', shifted + 15 * SECOND, 20, 2, 90),
    ]);
    const alarm = await alarmOf('Api');
    const reason =
      'Threshold Crossed: 1 out of the last 1 datapoints [3.0 (28/11/26 09:21:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).';
    await aws.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'ALARM', StateReason: reason }));
    const run = await deploy.done;
    await aws.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'OK', StateReason: 'reset' }));
    expect(run.status).toBe(1);
    const [failed, rollback] = aws.codeDeploy.list().slice(-2);
    const activated = `One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: ${alarm}`;
    expect(normalise(record('deploy-alarm', errorBlock(run)))).toBe(
      [
        'Error:',
        'Traffic shift failed for api:',
        `  api: rolled back (deployment ${failed?.id}): alarm "${alarm}" fired: ${reason} Alias "live" now serves version 2 (100%).`,
        '',
        'CloudFormation: UPDATE_FAILED: ApiTrafficShiftAlias (AWS::Lambda::Alias)',
        `CodeDeploy deployment ${failed?.id} of svc-prod-api:live ended Stopped (ALARM_ACTIVE: ${activated}).`,
        '',
        `View the full error: ${await stackUrl()}`,
      ].join('\n'),
    );
    expect(rollback?.status).toBe('Succeeded');
    expect(await alias('api')).toEqual({ version: '2', weights: {} });

    // By hand: version 3: 40 calls, 3 errors (7.5%), 90 ms; version 2: 4 × 400 = 1,600 calls, 1 error (0.0625%,
    // shown 0.06%), 30 ms. 7.5 − 0.0625 = 7.4375, shown 7.44 points; 90 ms / 30 ms = 3×. Only the deploy's closing
    // report is asserted: its lines during the canary step carry the figures or not depending on whether the view's
    // once-a-minute read came before or after they were written; the closing report comes from a read after the
    // stop, which finds them all.
    const compared = 'error rate 7.5% against 0.06% (+7.44 points), average 90 ms against 30 ms (3×)';
    expect(normalise(record('deploy-alarm-report', trafficLines(run).split('\n').slice(-1)[0] as string))).toBe(
      `[traffic] api: version 3 against version 2 over the rollout (<duration>): ${compared}; 40 and 1,600 calls`,
    );

    const status = await sls(['traffic', 'status', '--function', 'api']);
    expect(normalise(record('status-rolled-back', status.stdout.trim()))).toBe(
      [
        'Traffic status of stage "prod" (stack svc-prod, us-east-1)',
        '',
        'api',
        '  alias         live → version 2 (100%)',
        '  strategy      Canary10Percent5Minutes',
        `  last rollout  ${failed?.id} Stopped, Canary10Percent5Minutes, started by CloudFormation (stack update)`,
        '                YYYY-MM-DD HH:MM:SS UTC → HH:MM:SS UTC (<duration>)',
        `                cause: an alarm of the deployment group fired (CodeDeploy: ${activated})`,
        `                rolled back by ${rollback?.id} (Succeeded at HH:MM:SS UTC)`,
        '  versions      version 3: 40 calls, 3 errors (7.5%), avg 90 ms (new)',
        '                version 2: 1,600 calls, 1 error (0.06%), avg 30 ms (previous)',
        `                new against previous over the rollout: ${compared}`,
        '  in progress   no',
      ].join('\n'),
    );
  });

  it('a rollout failed by its pre-traffic hook: the deploy fails with the hook and the version served', async () => {
    aws.hooks.set('svc-prod-check', 'Failed');
    change('api', '4');
    const run = await sls(['deploy']);
    aws.hooks.delete('svc-prod-check');
    expect(run.status).toBe(1);
    const [failed] = aws.codeDeploy.list().slice(-2);
    const error = errorBlock(run);
    expect(record('deploy-hook', error.split('\n').slice(0, 3).join('\n'))).toBe(
      [
        'Error:',
        'Traffic shift failed for api:',
        `  api: rolled back (deployment ${failed?.id}): the pre-traffic hook (function check) reported failure or did not report within an hour: The function svc-prod-check reported Failed for BeforeAllowTraffic of deployment ${failed?.id}. Alias "live" now serves version 2 (100%).`,
      ].join('\n'),
    );
    expect(await alias('api')).toEqual({ version: '2', weights: {} });
  });

  it('traffic watch follows a rollout started by another deploy to its end; shift and promote are refused meanwhile', async () => {
    const hook = hold();
    change('api', '5');
    const deploy = start(['deploy']);
    await deploy.waitFor(/pre-traffic hook function check running/);
    const { id } = await deploymentOf('api', (d) => d.status === 'InProgress');

    const [status, running, ...refusals] = await Promise.all([
      sls(['traffic', 'status', '--function', 'api']),
      sls(['traffic', 'status', '--json', '-f', 'api']),
      sls(['traffic', 'shift', '--function', 'api', '--weight', '10']),
      sls(['traffic', 'promote', '--function', 'api']),
    ]);
    expect(normalise(record('status-running', status.stdout.trim()))).toBe(
      [
        'Traffic status of stage "prod" (stack svc-prod, us-east-1)',
        '',
        'api',
        '  alias         live → version 2 (100%)',
        '  strategy      Canary10Percent5Minutes',
        `  last rollout  ${id} InProgress, Canary10Percent5Minutes, started by CloudFormation (stack update)`,
        '                YYYY-MM-DD HH:MM:SS UTC, still running',
        `  in progress   yes: ${id} InProgress since HH:MM:SS UTC`,
        '                follow it: serverless traffic watch --function api --stage prod --region us-east-1',
        '                stop it:   serverless traffic rollback --function api --stage prod --region us-east-1',
      ].join('\n'),
    );
    const json = JSON.parse(running.stdout) as { functions: { inProgress: unknown }[] };
    expect(json.functions[0]?.inProgress).toMatchObject({ id, status: 'InProgress' });
    for (const [command, refused] of [
      ['shift', refusals[0]],
      ['promote', refusals[1]],
    ] as const) {
      expect(refused?.status).toBe(1);
      expect(errorBlock(refused as Run)).toBe(
        [
          'Error:',
          `CodeDeploy is shifting api right now (deployment ${id}, InProgress), so traffic ${command} would fight it. ` +
            'Follow it with "serverless traffic watch --function api --stage prod --region us-east-1" or stop it with "serverless traffic rollback --function api --stage prod --region us-east-1". [TRAFFIC_SHIFT_ROLLOUT_IN_PROGRESS]',
        ].join('\n'),
      );
    }

    const watch = start(['traffic', 'watch', '--function', 'api']);
    await watch.waitFor(/\[traffic\] api: 0% on version/);
    hook.release();
    const [watched, deployed] = await Promise.all([watch.done, deploy.done]);
    expect(deployed.status).toBe(0);
    expect(watched.status).toBe(0);
    expect(normalise(record('watch', watched.stderr.trim()))).toBe(
      [
        `Following api (${id}); Ctrl-C stops watching, not the rollout.`,
        '[traffic] api: 0% on version 5, 100% on version 2, checks before any traffic moves (Canary10Percent5Minutes) · pre-traffic hook function check running · alarms: 1 OK',
        '[traffic] api: 10% on version 5, 90% on version 2 (Canary10Percent5Minutes) · step 1/2 · 100% at HH:MM:SS UTC · pre-traffic hook function check passed · alarms: 1 OK',
        '[traffic] api: 100% on version 5 · pre-traffic hook function check passed · alarms: 1 OK',
        '[traffic] api: done, 100% on version 5 (Canary10Percent5Minutes, <duration>)',
      ].join('\n'),
    );
    const nothing = await sls(['traffic', 'watch']);
    expect(record('watch-nothing', nothing.stdout.trim())).toBe(
      'No rollout in progress for api, worker (stage "prod"). "serverless traffic status --stage prod --region us-east-1" shows the last one.',
    );
  });

  it('traffic rollback stops a running rollout; the deploy that started it fails and says so', async () => {
    const hook = hold();
    change('api', '6');
    const deploy = start(['deploy']);
    await deploy.waitFor(/pre-traffic hook function check running/);
    const { id } = await deploymentOf('api', (d) => d.status === 'InProgress');
    const rollback = await sls(['traffic', 'rollback', '--function', 'api']);
    hook.release();
    const run = await deploy.done;
    const rolledBack = aws.codeDeploy.list().slice(-1)[0];
    expect(rollback.status).toBe(0);
    expect(record('rollback', rollback.stdout.trim())).toBe(
      `api: stopped rollout ${id} (CodeDeploy answered Pending: Stopping deployment ${id}); it is Stopped; CodeDeploy's rollback ${rolledBack?.id} is Succeeded; alias "live" serves version 5 (100%); the CloudFormation update that started it fails and rolls the stack back.`,
    );
    expect(run.status).toBe(1);
    expect(errorBlock(run).split('\n').slice(0, 3).join('\n')).toBe(
      [
        'Error:',
        'Traffic shift failed for api:',
        `  api: rolled back (deployment ${id}): stopped on request (serverless traffic rollback, the CodeDeploy console or StopDeployment): The deployment was stopped by the user. Alias "live" now serves version 5 (100%).`,
      ].join('\n'),
    );
    expect(await alias('api')).toEqual({ version: '5', weights: {} });
  });

  describe('AWS failures: one or two lines naming the operation, stack and region; no stack trace', () => {
    it('no network: the command says AWS could not be reached; with --json, stdout holds JSON only', async () => {
      // An endpoint whose name never resolves (RFC 2606), as AWS's do without a network.
      const unreachable = { AWS_ENDPOINT_URL: 'http://cloudformation.us-east-1.amazonaws.invalid' };
      const [run, json, nope] = await Promise.all([
        sls(['traffic', 'status'], unreachable),
        sls(['traffic', 'status', '--json'], unreachable),
        // An unknown function is refused before any AWS call.
        sls(['traffic', 'shift', '--function', 'nope', '--weight', '10'], unreachable),
      ]);
      expect(run.status).toBe(1);
      const expected = [
        'cloudformation:ListStackResources failed for stack svc-prod in us-east-1: AWS could not be reached (getaddrinfo ENOTFOUND cloudformation.us-east-1.amazonaws.invalid).',
        'Check the network connection (and proxy settings) and the region (--region). A request gives up after 5s without a connection or 15s without an answer, 3 attempts. [TRAFFIC_SHIFT_AWS_UNREACHABLE]',
      ].join('\n');
      expect(record('error-unreachable', errorBlock(run))).toBe(`Error:\n${expected}`);
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at /);
      expect(json.status).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'TRAFFIC_SHIFT_AWS_UNREACHABLE', message: expected } });
      expect(errorBlock(nope)).toBe(
        'Error:\nFunction "nope" is not managed by serverless-traffic-shift in this stage; managed: api, worker. [TRAFFIC_SHIFT_INVALID_OPTION]',
      );
    });

    it('expired credentials, a missing permission, a concurrent change', async () => {
      const shift = ['traffic', 'shift', '--function', 'api', '--weight', '10', '--to-version', '2'];
      const [expired, denied, racing] = await Promise.all([
        sls(['traffic', 'status'], env({ accessKeyId: FAULT_KEYS.expired, secretAccessKey: 'x' })),
        sls(shift, env({ accessKeyId: FAULT_KEYS.readOnly, secretAccessKey: 'x' })),
        sls(shift, env({ accessKeyId: FAULT_KEYS.racing, secretAccessKey: 'x' })),
      ]);
      expect(errorBlock(expired)).toBe(
        [
          'Error:',
          'cloudformation:ListStackResources failed for stack svc-prod in us-east-1: AWS did not accept the credentials (ExpiredToken: The security token included in the request is expired).',
          'Renew them (a new session, aws sso login) or choose others with --aws-profile or the AWS_* variables. [TRAFFIC_SHIFT_AWS_CREDENTIALS]',
        ].join('\n'),
      );
      expect(record('error-denied', errorBlock(denied))).toBe(
        [
          'Error:',
          'lambda:UpdateAlias failed for stack svc-prod in us-east-1: the identity is not allowed to call it (AccessDeniedException: User: arn:aws:iam::123456789012:user/read-only is not authorized to perform: lambda:UpdateAlias on resource: arn:aws:lambda:us-east-1:123456789012:function:svc-prod-api because no identity-based policy allows the lambda:UpdateAlias action).',
          'Allow lambda:UpdateAlias to the identity that runs the command (docs/commands.md lists every action the traffic commands use). [TRAFFIC_SHIFT_AWS_DENIED]',
        ].join('\n'),
      );
      expect(errorBlock(racing)).toBe(
        [
          'Error:',
          'lambda:UpdateAlias failed for stack svc-prod in us-east-1: the resource changed while the command ran (PreconditionFailedException: The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id).',
          'Something else (a deploy, CodeDeploy, another traffic command) changed it at the same time: check with "serverless traffic status" and run the command again. [TRAFFIC_SHIFT_CONCURRENT_CHANGE]',
        ].join('\n'),
      );
      expect(await alias('api')).toEqual({ version: '5', weights: {} });
    });
  });

  it("a canary deploy with calls: the live view shows both versions' figures, the closing report compares them", async () => {
    // Deterministic lines: the pre-traffic hook is held while the calls are written (at times in the rollout before
    // any traffic moves) until the deploy has read the figures once; every later read finds the same figures, so the
    // lines that show them (from the first step on) print them alike whatever the pace of the run.
    const hook = hold();
    change('api', '7');
    const deploy = start(['deploy']);
    await deploy.waitFor(/pre-traffic hook function check running/);
    const { id } = await deploymentOf('api', (d) => d.status === 'InProgress');
    const rollout = await rolloutOf(id);
    const [next, previous] = [rollout.newVersion, rollout.previousVersion];
    expect([next, previous]).toEqual(['7', '5']);
    // The pre-traffic hook's event lasts a minute at least (the stand-in's HOOK_MIN_MS): writing then costs no time.
    await aws.clock.sleep(rollout.start + MINUTE - aws.clock.nowMs());
    await putMetrics([
      ...callsOf(previous, rollout.start + 10 * SECOND, 1200, 2, 40),
      ...callsOf(previous, rollout.start + 50 * SECOND, 1200, 2, 40),
      ...callsOf(next, rollout.start + 10 * SECOND, 75, 1, 52),
      ...callsOf(next, rollout.start + 50 * SECOND, 75, 1, 52),
    ]);
    await aws.nextMetricRead();
    hook.release();
    const run = await deploy.done;
    expect(run.status).toBe(0);

    // By hand: version 7: 150 calls, 2 errors (1.333…%, shown 1.33%), 52 ms; version 5: 2,400 calls, 4 errors
    // (0.1666…%, shown 0.17%), 40 ms. 1.333… − 0.1666… = 1.1666…, shown 1.17 points; 52 ms / 40 ms = 1.3×.
    const figures =
      'version 7: 150 calls, 2 errors (1.33%), avg 52 ms; version 5: 2,400 calls, 4 errors (0.17%), avg 40 ms';
    expect(normalise(record('deploy-figures', trafficLines(run)))).toBe(
      [
        '[traffic] worker: nothing shifts: its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.',
        '[traffic] following the rollout of api (CodeDeploy)',
        '[traffic] api: waiting for CloudFormation to start the CodeDeploy deployment',
        `[traffic] api: deployment ${id} created (Canary10Percent5Minutes) · pre-traffic hook function check pending · alarms: 1 OK`,
        '[traffic] api: 0% on version 7, 100% on version 5, checks before any traffic moves (Canary10Percent5Minutes) · pre-traffic hook function check running · alarms: 1 OK',
        `[traffic] api: 10% on version 7, 90% on version 5 (Canary10Percent5Minutes) · step 1/2 · 100% at HH:MM:SS UTC · pre-traffic hook function check passed · alarms: 1 OK · ${figures}`,
        `[traffic] api: 100% on version 7 · pre-traffic hook function check passed · alarms: 1 OK · ${figures}`,
        '[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, <duration>)',
        '[traffic] api: version 7 against version 5 over the rollout (<duration>): error rate 1.33% against 0.17% (+1.17 points), average 52 ms against 40 ms (1.3×); 150 and 2,400 calls',
      ].join('\n'),
    );
    expect(await alias('api')).toEqual({ version: '7', weights: {} });
  });

  it('the transcripts in docs/commands.md are what these tests printed', () => {
    const { documented, recorded } = transcripts.compare('docs/commands.md');
    expect(documented).toEqual(recorded);
  });

  async function deploymentBucket(): Promise<string> {
    const { Buckets } = await aws.s3.send(new ListBucketsCommand({}));
    return (Buckets ?? []).find((b) => b.Name?.startsWith('svc-prod-serverlessdeploymentbucket'))?.Name as string;
  }

  async function objectCount(bucket: string): Promise<number> {
    return (await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount ?? 0;
  }

  async function stackUrl(): Promise<string> {
    const { Stacks } = (await aws.cloudFormation.handle(
      'DescribeStacks',
      new URLSearchParams({ StackName: 'svc-prod' }),
    )) as {
      Stacks: { StackId: string }[];
    };
    const id = encodeURIComponent(Stacks[0]?.StackId ?? '');
    return `https://us-east-1.console.aws.amazon.com/cloudformation/home?region=us-east-1#/stack/detail?stackId=${id}`;
  }
});
