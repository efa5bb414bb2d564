/** `serverless traffic status | watch | rollback | shift | promote` against scripted AWS answers: output and requests. */
import { readFileSync } from 'fs';
import * as path from 'path';
import { ServerlessError } from '../../../src/errors';
import {
  promoteCommand,
  rollbackCommand,
  shiftCommand,
  statusCommand,
  watchCommand,
} from '../../../src/deploy/traffic-commands';

import { deployedStack, stackSummaries, testContext, API_GROUP, WORKER_GROUP } from './test-context';
import { alarmRollback, ALARM_REASON, canarySuccess, linearSuccess } from './scenarios';
import {
  callCounts,
  FakeClock,
  GetAliasCommand,
  ListStackResourcesCommand,
  ListVersionsByFunctionCommand,
  mocks,
  play,
  StopDeploymentCommand,
  UpdateAliasCommand,
  type Script,
} from './timeline';

const m = mocks();
afterEach(() => m.reset());

function stack(): void {
  m.cloudFormation.on(ListStackResourcesCommand).resolves(stackSummaries(deployedStack()));
}

/** Aliases: function name → [FunctionVersion, { version: weight }]. */
function aliases(state: Record<string, [string, Record<string, number>?]>): void {
  m.lambda.on(GetAliasCommand).callsFake((input) => {
    const s = state[input.FunctionName];
    if (!s) throw Object.assign(new Error('Alias not found'), { name: 'ResourceNotFoundException' });
    return {
      Name: input.Name,
      FunctionVersion: s[0],
      RevisionId: `rev-${s[0]}`,
      ...(s[1] && { RoutingConfig: { AdditionalVersionWeights: s[1] } }),
    };
  });
  m.lambda.on(UpdateAliasCommand).callsFake((input) => {
    state[input.FunctionName] = [input.FunctionVersion, input.RoutingConfig?.AdditionalVersionWeights];
    return { Name: input.Name, FunctionVersion: input.FunctionVersion, RoutingConfig: input.RoutingConfig };
  });
}

function setup(script: Script, second = 0) {
  stack();
  const clock = new FakeClock();
  clock.second = second;
  play(m, clock, script);
  return testContext({ clock });
}

describe('status', () => {
  it('per function: alias and weights, strategy, last rollout, whether one runs', async () => {
    aliases({ 'svc-dev-api': ['6', { '7': 0.1 }], 'svc-dev-worker': ['4'], 'svc-dev-nightly': ['12'] });
    const { ctx, out } = setup(
      {
        deployments: [
          canarySuccess({ group: API_GROUP }),
          linearSuccess({
            id: 'd-LINEAR0',
            group: WORKER_GROUP,
            createdAt: 0,
            phases: [
              { at: 0, status: 'Created' },
              { at: 5, status: 'InProgress' },
              { at: 12, status: 'Succeeded' },
            ],
          }),
        ],
      },
      60,
    );
    await statusCommand(ctx);
    expect(out.text.join('\n')).toBe(
      [
        'Traffic status of stage "dev" (stack svc-dev, us-east-1)',
        '',
        'api',
        '  alias         live → version 6 (90%), version 7 (10%)',
        '  strategy      Canary10Percent5Minutes',
        '  last rollout  d-CANARY1 InProgress, Canary10Percent5Minutes, started by CloudFormation (stack update)',
        '                2026-11-28 08:40:25 UTC, still running',
        '  in progress   yes: d-CANARY1 InProgress since 08:40:25 UTC',
        '                follow it: serverless traffic watch --function api --stage dev --region us-east-1',
        '                stop it:   serverless traffic rollback --function api --stage dev --region us-east-1',
        '',
        'worker',
        '  alias         live → version 4 (100%)',
        '  strategy      Linear10PercentEvery1Minute',
        '  last rollout  d-LINEAR0 Succeeded, Linear10PercentEvery1Minute, started by CloudFormation (stack update)',
        '                2026-11-28 08:40:05 UTC → 08:40:12 UTC (7s)',
        '  in progress   no',
        '',
        'nightly',
        '  alias         live → version 12 (100%)',
        '  strategy      in place (stage "dev" is not in stages [prod]): the alias moves at once, no CodeDeploy',
        '  in progress   no',
      ].join('\n'),
    );
    // Constant in the number of functions, except GetAlias (Lambda has no batch read of aliases) and the versions of
    // each last rollout (its CodeDeploy target); one GetMetricData for the figures of all of them.
    expect(callCounts(m)).toEqual({
      ListStackResourcesCommand: 1,
      GetAliasCommand: 3,
      BatchGetDeploymentGroupsCommand: 1,
      ListDeploymentsCommand: 1,
      BatchGetDeploymentsCommand: 1,
      ListDeploymentTargetsCommand: 2,
      BatchGetDeploymentTargetsCommand: 2,
      GetMetricDataCommand: 1,
    });
  });

  it('--json: the same facts as data', async () => {
    aliases({ 'svc-dev-api': ['6', { '7': 0.1 }], 'svc-dev-worker': ['3', { '4': 0.3 }], 'svc-dev-nightly': ['12'] });
    const { ctx, out } = setup({ deployments: [canarySuccess({ group: API_GROUP })] }, 60);
    await statusCommand({ ...ctx, options: { json: true } });
    expect(JSON.parse(out.text.join('\n'))).toEqual({
      stage: 'dev',
      region: 'us-east-1',
      stack: 'svc-dev',
      functions: [
        {
          name: 'api',
          alias: {
            name: 'live',
            deployed: true,
            versions: [
              { version: '6', percent: 90 },
              { version: '7', percent: 10 },
            ],
          },
          strategy: 'Canary10Percent5Minutes',
          lastRollout: {
            id: 'd-CANARY1',
            status: 'InProgress',
            deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
            strategy: 'Canary10Percent5Minutes',
            creator: 'CloudFormation',
            start: '2026-11-28T08:40:25.000Z',
            // Both versions' figures so far: no call reached the alias in this script.
            versions: {
              from: '2026-11-28T08:40:25.000Z',
              to: '2026-11-28T08:41:00.000Z',
              new: { version: '7', invocations: 0, errors: 0, errorRate: null, averageMs: null, p99Ms: null },
              previous: { version: '6', invocations: 0, errors: 0, errorRate: null, averageMs: null, p99Ms: null },
            },
          },
          inProgress: { id: 'd-CANARY1', status: 'InProgress', since: '2026-11-28T08:40:25.000Z' },
          weightedByHand: false,
        },
        {
          name: 'worker',
          alias: {
            name: 'live',
            deployed: true,
            versions: [
              { version: '3', percent: 70 },
              { version: '4', percent: 30 },
            ],
          },
          strategy: 'Linear10PercentEvery1Minute',
          lastRollout: null,
          inProgress: null,
          weightedByHand: true,
        },
        {
          name: 'nightly',
          alias: { name: 'live', deployed: true, versions: [{ version: '12', percent: 100 }] },
          strategy: 'InPlace',
          inPlaceReason: 'stage "dev" is not in stages [prod]',
          lastRollout: null,
          inProgress: null,
          weightedByHand: false,
        },
      ],
    });
  });

  it('--json: a failed last rollout carries its cause and end', async () => {
    aliases({ 'svc-dev-api': ['6'], 'svc-dev-worker': ['3'], 'svc-dev-nightly': ['12'] });
    const { ctx, out } = setup({ deployments: alarmRollback().slice(0, 1) }, 200);
    await statusCommand({ ...ctx, options: { json: true, function: 'api' } });
    const [api] = (JSON.parse(out.text.join('\n')) as { functions: { lastRollout: Record<string, string> }[] })
      .functions;
    expect(api?.lastRollout).toMatchObject({ id: 'd-ALARM1', status: 'Stopped', end: '2026-11-28T08:41:40.000Z' });
    expect(api?.lastRollout.cause).toMatch(
      /^an alarm of the deployment group fired \(CodeDeploy: One or more alarms have been activated/,
    );
  });

  it('finds what serverless-plugin-split-stacks moved into nested stacks (one ListStackResources per stack)', async () => {
    aliases({ 'svc-dev-api': ['6'], 'svc-dev-worker': ['4'], 'svc-dev-nightly': ['12'] });
    const { ctx, out } = setup(
      {
        deployments: [
          linearSuccess({
            id: 'd-LINEAR0',
            group: WORKER_GROUP,
            createdAt: 0,
            phases: [
              { at: 0, status: 'Created' },
              { at: 12, status: 'Succeeded' },
            ],
          }),
        ],
      },
      60,
    );
    // Per function: the worker's function, version, alias and deployment group live in WorkerNestedStack.
    const nestedArn = 'arn:aws:cloudformation:us-east-1:123456789012:stack/svc-dev-WorkerNestedStack-1XYZ/guid';
    const isWorker = (r: { logicalId: string }) => r.logicalId.startsWith('Worker');
    m.cloudFormation.on(ListStackResourcesCommand).callsFake((input: { StackName: string }) => {
      if (input.StackName === nestedArn) return stackSummaries(deployedStack().filter(isWorker));
      if (input.StackName === 'svc-dev')
        return stackSummaries([
          ...deployedStack().filter((r) => !isWorker(r)),
          { logicalId: 'WorkerNestedStack', type: 'AWS::CloudFormation::Stack', physicalId: nestedArn },
        ]);
      throw new Error(`unexpected stack ${input.StackName}`);
    });
    await statusCommand(ctx);
    expect(out.text.join('\n')).toContain(
      'worker\n  alias         live → version 4 (100%)\n  strategy      Linear10PercentEvery1Minute\n  last rollout  d-LINEAR0 Succeeded',
    );
    expect(m.cloudFormation.commandCalls(ListStackResourcesCommand).map((c) => c.args[0].input.StackName)).toEqual([
      'svc-dev',
      nestedArn,
    ]);
  });

  it('a failed last rollout shows its cause; a hand weight says how to finish or undo it', async () => {
    aliases({ 'svc-dev-api': ['6'], 'svc-dev-worker': ['3', { '4': 0.3 }], 'svc-dev-nightly': ['12'] });
    const { ctx, out } = setup({ deployments: alarmRollback().slice(0, 1) }, 200);
    await statusCommand(ctx);
    const text = out.text.join('\n');
    expect(text).toContain(
      '  last rollout  d-ALARM1 Stopped, Canary10Percent5Minutes, started by CloudFormation (stack update)\n' +
        '                2026-11-28 08:40:25 UTC → 08:41:40 UTC (1m 15s)\n' +
        '                cause: an alarm of the deployment group fired (CodeDeploy: One or more alarms have been activated',
    );
    expect(text).toContain(
      'worker\n  alias         live → version 3 (70%), version 4 (30%)\n  strategy      Linear10PercentEvery1Minute\n' +
        '  last rollout  none yet (the first deploy creates the alias; the next one with new code shifts)\n' +
        '  in progress   no, but the alias is weighted by hand (sls deploy refuses to run until this is resolved)\n' +
        '                finish: serverless traffic promote --function worker --stage dev --region us-east-1\n' +
        '                undo:   serverless traffic rollback --function worker --stage dev --region us-east-1',
    );
  });

  it('a rollout undone by CodeDeploy: the rollout with its cause, and the rollback beside it, whichever the group names last', async () => {
    aliases({ 'svc-dev-api': ['6'], 'svc-dev-worker': ['4'], 'svc-dev-nightly': ['12'] });
    // The group's last attempted deployment is the rollback (a deployment of the same group, created after the rollout).
    const { ctx, out } = setup({ deployments: alarmRollback() }, 200);
    await statusCommand({ ...ctx, options: { function: 'api' } });
    const text = out.text.join('\n');
    expect(text).toContain(
      '  last rollout  d-ALARM1 Stopped, Canary10Percent5Minutes, started by CloudFormation (stack update)\n' +
        '                2026-11-28 08:40:25 UTC → 08:41:40 UTC (1m 15s)\n' +
        '                cause: an alarm of the deployment group fired (CodeDeploy: One or more alarms have been activated',
    );
    expect(text).toContain(
      '                rolled back by d-ROLLBACK1 (Succeeded at 08:41:50 UTC)\n  in progress   no',
    );
    expect(text).not.toContain('started by CodeDeploy (automatic rollback)');
    out.text.length = 0;
    await statusCommand({ ...ctx, options: { json: true, function: 'api' } });
    const json = JSON.parse(out.text.join('')) as { functions: { lastRollout: Record<string, unknown> }[] };
    expect(json.functions[0]?.lastRollout).toMatchObject({
      id: 'd-ALARM1',
      status: 'Stopped',
      rollback: { id: 'd-ROLLBACK1', status: 'Succeeded', end: '2026-11-28T08:41:50.000Z' },
    });
  });

  it("both versions' figures over the last rollout: so far while it runs, over the rollout once it ended", async () => {
    aliases({ 'svc-dev-api': ['6', { '7': 0.1 }], 'svc-dev-worker': ['4'], 'svc-dev-nightly': ['12'] });
    const { ctx, out } = setup(
      {
        deployments: [canarySuccess({ group: API_GROUP }), linearSuccess({ group: WORKER_GROUP })],
        traffic: [
          {
            functionName: 'svc-dev-api',
            version: '6',
            from: 0,
            callsPerMinute: 900,
            errorsPerMinute: 1,
            averageMs: 30,
            p99Ms: 90,
          },
          {
            functionName: 'svc-dev-api',
            version: '7',
            from: 40,
            callsPerMinute: 100,
            errorsPerMinute: 5,
            averageMs: 60,
            p99Ms: 200,
          },
          { functionName: 'svc-dev-worker', version: '3', from: 0, to: 540, callsPerMinute: 50 },
          { functionName: 'svc-dev-worker', version: '4', from: 0, callsPerMinute: 50 },
        ],
      },
      700,
    );
    await statusCommand(ctx);
    const text = out.text.join('\n');
    const block = [
      '  last rollout  d-CANARY1 Succeeded, Canary10Percent5Minutes, started by CloudFormation (stack update)',
      '                2026-11-28 08:40:25 UTC → 08:45:50 UTC (5m 25s)',
      '  versions      version 7: 500 calls, 25 errors (5%), avg 60 ms, p99 200 ms (new)',
      '                version 6: 5,400 calls, 6 errors (0.11%), avg 30 ms, p99 90 ms (previous)',
      '                new against previous over the rollout: error rate 5% against 0.11% (+4.89 points), average 60 ms against 30 ms (2×), p99 200 ms against 90 ms',
    ].join('\n');
    // docs/commands.md shows this block as it is printed.
    expect(readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'commands.md'), 'utf8')).toContain(block);
    expect(text).toContain(
      [
        '  last rollout  d-CANARY1 Succeeded, Canary10Percent5Minutes, started by CloudFormation (stack update)',
        '                2026-11-28 08:40:25 UTC → 08:45:50 UTC (5m 25s)',
        '  versions      version 7: 500 calls, 25 errors (5%), avg 60 ms, p99 200 ms (new)',
        '                version 6: 5,400 calls, 6 errors (0.11%), avg 30 ms, p99 90 ms (previous)',
        '                new against previous over the rollout: error rate 5% against 0.11% (+4.89 points), average 60 ms against 30 ms (2×), p99 200 ms against 90 ms',
      ].join('\n'),
    );
    expect(text).toContain(
      '  versions      version 4: 500 calls, 0 errors (0%), avg 10 ms, p99 20 ms (new)\n' +
        '                version 3: 450 calls, 0 errors (0%), avg 10 ms, p99 20 ms (previous)\n',
    );
    // While the canary runs (at 200s): the minutes published so far.
    (ctx.clock as FakeClock).second = 200;
    await statusCommand({ ...ctx, options: { function: 'api' } });
    expect(out.text[out.text.length - 1]).toContain(
      '  versions      version 7: 200 calls, 10 errors (5%), avg 60 ms, p99 200 ms (new)\n' +
        '                version 6: 2,700 calls, 3 errors (0.11%), avg 30 ms, p99 90 ms (previous)\n' +
        '                new against previous so far: error rate 5% against 0.11% (+4.89 points)',
    );
    (ctx.clock as FakeClock).second = 700;
    await statusCommand({ ...ctx, options: { json: true, function: 'api' } });
    const [api] = (JSON.parse(out.text[out.text.length - 1] as string) as { functions: { lastRollout: any }[] })
      .functions;
    expect(api?.lastRollout.versions).toEqual({
      from: '2026-11-28T08:40:25.000Z',
      to: '2026-11-28T08:45:50.000Z',
      new: { version: '7', invocations: 500, errors: 25, errorRate: 5, averageMs: 60, p99Ms: 200 },
      previous: { version: '6', invocations: 5400, errors: 6, errorRate: (100 * 6) / 5400, averageMs: 30, p99Ms: 90 },
    });
  });

  it('--function selects one; the stack must exist', async () => {
    aliases({ 'svc-dev-api': ['6'] });
    const { ctx, out } = setup({ deployments: [] });
    await statusCommand({ ...ctx, options: { function: 'api' } });
    expect(out.text.join('\n')).not.toContain('worker');
    m.cloudFormation
      .on(ListStackResourcesCommand)
      .rejects(Object.assign(new Error('Stack with id svc-dev does not exist'), { name: 'ValidationError' }));
    await expect(statusCommand(ctx)).rejects.toThrow(
      'Stack svc-dev does not exist in us-east-1: nothing is deployed for stage "dev" yet (sls deploy --stage dev --region us-east-1).',
    );
  });
});

describe('watch', () => {
  it('says so when nothing is in progress', async () => {
    const { ctx, out } = setup({ deployments: [] });
    await watchCommand(ctx);
    expect(out.text).toEqual([
      'No rollout in progress for api, worker (stage "dev"). "serverless traffic status --stage dev --region us-east-1" shows the last one.',
    ]);
  });

  it('follows a rollout that started elsewhere to its end', async () => {
    const { ctx, out } = setup({ deployments: [canarySuccess({ group: API_GROUP })] }, 100);
    await watchCommand(ctx);
    expect(out.notices).toEqual([
      'Following api (d-CANARY1); Ctrl-C stops watching, not the rollout.',
      '[traffic] api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:40 UTC · pre-traffic hook function check passed',
      '[traffic] api: 100% on version 7 (Canary10Percent5Minutes) · step 2/2 · pre-traffic hook function check passed',
      '[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)',
    ]);
  });

  it('fails with the cause when the rollout rolls back', async () => {
    aliases({ 'svc-dev-api': ['6'] });
    const { ctx } = setup(
      {
        deployments: alarmRollback(),
        alarmsOfGroup: { [API_GROUP]: ['svc-dev-api-errors'] },
        alarms: [
          {
            name: 'svc-dev-api-errors',
            states: [
              { at: 0, state: 'OK' },
              { at: 95, state: 'ALARM', reason: ALARM_REASON },
            ],
          },
        ],
      },
      60,
    );
    const error = await watchCommand(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerlessError);
    expect((error as ServerlessError).code).toBe('TRAFFIC_SHIFT_ROLLOUT_FAILED');
    expect((error as Error).message).toBe(
      `Traffic shift failed for api:\n  api: rolled back (deployment d-ALARM1): alarm "svc-dev-api-errors" fired: ${ALARM_REASON} Alias "live" now serves version 6 (100%). [TRAFFIC_SHIFT_ROLLOUT_FAILED]`,
    );
  });
});

describe('rollback', () => {
  it('stops the rollout in progress with rollback and confirms what CodeDeploy did', async () => {
    aliases({ 'svc-dev-api': ['6'], 'svc-dev-worker': ['4'], 'svc-dev-nightly': ['12'] });
    const [main, rollback] = alarmRollback();
    // Stopped on request at 63s; CodeDeploy rolls back with d-ROLLBACK1 until 66s.
    main!.phases[1] = { ...main!.phases[1]!, at: 25 };
    main!.phases[2] = {
      at: 63,
      status: 'Stopped',
      error: { code: 'MANUAL_STOP', message: 'Stopped by user' },
      rollbackDeploymentId: 'd-ROLLBACK1',
    };
    rollback!.createdAt = 63;
    rollback!.phases = [
      { at: 63, status: 'InProgress' },
      { at: 66, status: 'Succeeded' },
    ];
    const { ctx, out } = setup({ deployments: [main!, rollback!] }, 60);
    m.codeDeploy.on(StopDeploymentCommand).resolves({ status: 'Pending', statusMessage: 'Stop of d-ALARM1 requested' });
    await rollbackCommand({ ...ctx, options: { function: 'api' } });
    expect(m.codeDeploy.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { deploymentId: 'd-ALARM1', autoRollbackEnabled: true },
    ]);
    expect(out.text).toEqual([
      'api: stopped rollout d-ALARM1 (CodeDeploy answered Pending: Stop of d-ALARM1 requested); it is Stopped; ' +
        'CodeDeploy\'s rollback d-ROLLBACK1 is Succeeded; alias "live" serves version 6 (100%); the CloudFormation update that started it fails and rolls the stack back.',
    ]);
    expect(m.lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('with no rollout in progress, removes a hand weight and leaves the rest alone', async () => {
    aliases({ 'svc-dev-api': ['6', { '7': 0.2 }], 'svc-dev-worker': ['4'], 'svc-dev-nightly': ['12'] });
    const { ctx, out } = setup({ deployments: [] });
    await rollbackCommand(ctx);
    expect(m.lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      {
        FunctionName: 'svc-dev-api',
        Name: 'live',
        FunctionVersion: '6',
        RoutingConfig: { AdditionalVersionWeights: {} },
        RevisionId: 'rev-6',
      },
    ]);
    expect(out.text).toEqual([
      [
        'api: removed the weight set by hand (it was version 6 (80%), version 7 (20%)): alias "live" serves version 6 (100%).',
        'worker: nothing to roll back: no rollout in progress, alias "live" serves version 4 (100%).',
        'nightly: nothing to roll back: no rollout in progress, alias "live" serves version 12 (100%).',
      ].join('\n'),
    ]);
  });
});

describe('shift and promote', () => {
  beforeEach(() => {
    m.lambda
      .on(ListVersionsByFunctionCommand)
      .resolves({ Versions: [{ Version: '$LATEST' }, { Version: '6' }, { Version: '7' }] });
  });

  it('shift gives the latest version the share and keeps the rest on the current one', async () => {
    aliases({ 'svc-dev-api': ['6'] });
    const { ctx, out } = setup({ deployments: [] });
    await shiftCommand({ ...ctx, options: { function: 'api', weight: '20' } });
    expect(m.lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      {
        FunctionName: 'svc-dev-api',
        Name: 'live',
        FunctionVersion: '6',
        RoutingConfig: { AdditionalVersionWeights: { '7': 0.2 } },
        RevisionId: 'rev-6',
      },
    ]);
    expect(out.text).toEqual([
      [
        'api: alias "live" serves version 6 (80%), version 7 (20%) (was version 6 (100%)).',
        '  finish: serverless traffic promote --function api --stage dev --region us-east-1',
        '  undo:   serverless traffic rollback --function api --stage dev --region us-east-1',
        '  sls deploy refuses to run while the alias is weighted by hand.',
      ].join('\n'),
    ]);
  });

  it('shift refuses during a CodeDeploy rollout, an unknown --to-version, a missing alias or --function', async () => {
    aliases({ 'svc-dev-api': ['6'], 'svc-dev-worker': ['6'] });
    const { ctx } = setup({ deployments: [canarySuccess({ group: API_GROUP })] }, 60);
    await expect(shiftCommand({ ...ctx, options: { function: 'api', weight: '20' } })).rejects.toThrow(
      'CodeDeploy is shifting api right now (deployment d-CANARY1, InProgress), so traffic shift would fight it.',
    );
    await expect(
      shiftCommand({ ...ctx, options: { function: 'worker', weight: '20', toVersion: '9' } }),
    ).rejects.toThrow('--to-version 9: svc-dev-worker has no published version 9; published: 6, 7.');
    await expect(shiftCommand({ ...ctx, options: { weight: '20' } })).rejects.toThrow(
      'serverless traffic shift needs --function NAME',
    );
    await expect(shiftCommand({ ...ctx, options: { function: 'nightly', weight: '20' } })).rejects.toThrow(
      'Alias "live" of nightly (svc-dev-nightly) does not exist: deploy the service first (sls deploy --stage dev --region us-east-1).',
    );
    expect(m.lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('promote moves all traffic to the weighted version and clears the weight', async () => {
    aliases({ 'svc-dev-api': ['6', { '7': 0.2 }] });
    const { ctx, out } = setup({ deployments: [] });
    await promoteCommand({ ...ctx, options: { function: 'api' } });
    expect(m.lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      {
        FunctionName: 'svc-dev-api',
        Name: 'live',
        FunctionVersion: '7',
        RoutingConfig: { AdditionalVersionWeights: {} },
        RevisionId: 'rev-6',
      },
    ]);
    expect(out.text).toEqual([
      'api: alias "live" serves version 7 (100%) (was version 6 (80%), version 7 (20%)).\n  The stack still records version 6 for the alias: the alias was moved outside CloudFormation.',
    ]);
  });
});
