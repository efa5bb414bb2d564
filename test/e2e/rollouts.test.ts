/**
 * The deploy-time half of the plugin as users operate it: the real `serverless` CLI (3.40.0), spawned, against a
 * local AWS (./local-aws: moto_server, a local CloudFormation and a CodeDeploy stand-in on an accelerated clock).
 * One service (test/fixtures/e2e) goes through the scenarios in order, each asserted on the exact output (clock
 * times and durations normalised): first deploy, a canary that succeeds, a linear rollout printing every step, a
 * weight set by hand that makes `sls deploy` refuse before uploading anything, a rollout rolled back by an alarm,
 * one failed by its pre-traffic hook, `traffic watch` following a rollout started by another deploy, `traffic
 * rollback` stopping a running one, `status`, `status --json`, `shift` and `promote` in each state, and the AWS
 * failures of the commands.
 *
 * The transcripts in docs/commands.md marked `<!-- e2e: <name> -->` are compared with what these tests printed
 * (last test), so the documentation shows what the product prints.
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { ListBucketsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import { describeWithMoto } from '../integration/moto-server';
import { normalise, REPO_ROOT, serviceCopy, spawnSls, type Run } from './cli';
import { FAULT_KEYS, startLocalAws, type HookOutcome, type LocalAws } from './local-aws';

/** Virtual time runs this many times faster than real time: a five-minute canary takes ten seconds. */
const SPEED = 30;
const describeE2e = describeWithMoto('test/e2e/rollouts.test.ts');

/** What the scenarios printed, by the name the docs use for the transcript. */
const transcripts = new Map<string, string>();

function record(name: string, text: string): string {
  transcripts.set(name, text);
  return text;
}

/** The live view's lines and the plugin's other deploy-time notices, as printed on stderr. */
const trafficLines = (run: Run): string =>
  run.stderr
    .split('\n')
    .filter((l) => l.startsWith('[traffic] '))
    .join('\n');

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

  it('a rollout rolled back by an alarm: the deploy fails with the alarm, its reason and the version served', async () => {
    change('api', '3');
    const deploy = start(['deploy']);
    await deploymentOf('api', (d) => d.step === 1);
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

    const status = await sls(['traffic', 'status', '--function', 'api']);
    expect(normalise(status.stdout)).toBe(
      [
        'Traffic status of stage "prod" (stack svc-prod, us-east-1)',
        '',
        'api',
        '  alias         live → version 2 (100%)',
        '  strategy      Canary10Percent5Minutes',
        `  last rollout  ${failed?.id} Stopped, Canary10Percent5Minutes, started by CloudFormation (stack update)`,
        '                YYYY-MM-DD HH:MM:SS UTC → HH:MM:SS UTC (<duration>)',
        `                cause: an alarm of the deployment group fired (CodeDeploy: ${activated})`,
        '  in progress   no',
        '',
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

  it('the transcripts in docs/commands.md are what these tests printed', () => {
    const docs = readFileSync(path.join(REPO_ROOT, 'docs', 'commands.md'), 'utf8');
    const blocks = [...docs.matchAll(/<!-- e2e: ([a-z-]+) -->\n```\n([\s\S]*?)\n```/g)].map(
      (m) => [m[1] as string, m[2] as string] as const,
    );
    if (process.env.E2E_WRITE_TRANSCRIPTS)
      writeFileSync(process.env.E2E_WRITE_TRANSCRIPTS, JSON.stringify(Object.fromEntries(transcripts), null, 2));
    expect(blocks.map(([name]) => name).sort()).toEqual([...transcripts.keys()].sort());
    for (const [name, text] of blocks)
      expect([name, normalise(text)]).toEqual([name, normalise(transcripts.get(name) as string)]);
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
