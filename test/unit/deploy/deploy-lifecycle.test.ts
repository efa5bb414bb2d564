/**
 * What `sls deploy` shows and refuses, hook by hook as the framework calls them, against scripted AWS answers:
 * the refusal while an alias is weighted by hand, the nothing-shifts cases, the live view of a canary, the cause of
 * a rollback in the deploy's error, and a deploy that carries on when nothing can be read.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { ServerlessError } from '../../../src/errors';
import { deployHooks, prependToError } from '../../../src/deploy/deploy-lifecycle';

import type { TrafficContext } from '../../../src/deploy/context';
import { compiledTemplate, deployedStack, stackSummaries, testContext, API_GROUP } from './test-context';
import { alarmRollback, ALARM_REASON, canarySuccess } from './scenarios';
import { v4Progress } from './v4-progress';
import {
  FakeClock,
  GetAliasCommand,
  ListStackResourcesCommand,
  mocks,
  play,
  callCounts,
  type Script,
} from './timeline';

const m = mocks();
afterEach(() => m.reset());

const stackMissing = Object.assign(new Error('Stack with id svc-dev does not exist'), { name: 'ValidationError' });

function stack(resources = deployedStack()): void {
  m.cloudFormation.on(ListStackResourcesCommand).resolves(stackSummaries(resources));
}

function aliases(weights: Record<string, Record<string, number>> = {}): void {
  m.lambda.on(GetAliasCommand).callsFake((input) => ({
    Name: input.Name,
    FunctionVersion: '6',
    RevisionId: 'rev',
    ...(weights[input.FunctionName] && { RoutingConfig: { AdditionalVersionWeights: weights[input.FunctionName] } }),
  }));
}

async function runHooks(ctx: TrafficContext, names: string[], error?: unknown) {
  const hooks = deployHooks(() => ctx);
  for (const name of names) await hooks[name]!(error);
  return hooks;
}

describe('before the deploy: an alias weighted by hand', () => {
  it('refuses to deploy and says how to finish or undo it', async () => {
    stack();
    aliases({ 'svc-dev-worker': { '7': 0.25 } });
    play(m, new FakeClock(), { deployments: [] });
    const { ctx } = testContext();
    const error = await runHooks(ctx, ['before:deploy:deploy']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerlessError);
    expect(error).toMatchObject({ name: 'ServerlessError', code: 'TRAFFIC_SHIFT_MANUAL_WEIGHT' });
    expect((error as Error).message).toBe(
      [
        'Deploy refused: an alias is left weighted by "serverless traffic shift". CodeDeploy cannot shift an alias that already points at two versions, so this deploy would fail halfway:',
        '  - worker: alias "live" serves version 6 (75%), version 7 (25%)',
        '      finish it: serverless traffic promote --function worker --stage dev --region us-east-1',
        '      undo it:   serverless traffic rollback --function worker --stage dev --region us-east-1',
        'Then run the deploy again. [TRAFFIC_SHIFT_MANUAL_WEIGHT]',
      ].join('\n'),
    );
  });

  it('a weight CodeDeploy is shifting right now is not a hand weight', async () => {
    stack();
    aliases({ 'svc-dev-api': { '7': 0.1 } });
    const clock = new FakeClock();
    clock.second = 60;
    play(m, clock, { deployments: [canarySuccess({ group: API_GROUP })] });
    const { ctx } = testContext({ clock });
    await expect(runHooks(ctx, ['before:deploy:deploy'])).resolves.toBeDefined();
  });

  it('skips the check when the stack does not exist yet, and costs one GetAlias per alias otherwise', async () => {
    m.cloudFormation.on(ListStackResourcesCommand).rejects(stackMissing);
    await runHooks(testContext().ctx, ['before:deploy:deploy']);
    expect(callCounts(m)).toEqual({ ListStackResourcesCommand: 1 });
    m.reset();
    stack();
    aliases();
    await runHooks(testContext().ctx, ['before:deploy:deploy']);
    expect(callCounts(m)).toEqual({ ListStackResourcesCommand: 1, GetAliasCommand: 3 });
  });

  it('cannot read the stack: warns and deploys anyway', async () => {
    m.cloudFormation
      .on(ListStackResourcesCommand)
      .rejects(Object.assign(new Error('Access denied'), { name: 'AccessDenied' }));
    const { ctx, out } = testContext();
    await runHooks(ctx, [
      'before:deploy:deploy',
      'before:aws:deploy:deploy:updateStack',
      'after:aws:deploy:deploy:updateStack',
    ]);
    expect(out.warnings[0]).toBe(
      'serverless-traffic-shift: could not check the aliases before deploying (AccessDenied: Access denied); deploying anyway, without taking over an alias ' +
        "the stack holds under another logical id (such as serverless-plugin-canary-deployments' <Fn>Alias<alias>): if there is one, the update fails.",
    );
    expect(out.warnings[1]).toBe(
      'serverless-traffic-shift: the rollout view could not start (AccessDenied: Access denied); the deploy carries on without it.',
    );
  });
  it('credentials that cannot be had (TRAFFIC_SHIFT_AWS_CREDENTIALS from a client): warns and deploys anyway', async () => {
    m.cloudFormation
      .on(ListStackResourcesCommand)
      .rejects(
        new ServerlessError('could not get the AWS credentials: SSO session expired', 'TRAFFIC_SHIFT_AWS_CREDENTIALS'),
      );
    const { ctx, out } = testContext();
    await expect(runHooks(ctx, ['before:deploy:deploy'])).resolves.toBeDefined();
    expect(out.warnings).toEqual([
      expect.stringMatching(
        /^serverless-traffic-shift: could not check the aliases before deploying \(ServerlessError: could not get the AWS credentials: SSO session expired \[TRAFFIC_SHIFT_AWS_CREDENTIALS\]\); deploying anyway/,
      ),
    ]);
  });
});

describe('nothing shifts, and the deploy says why', () => {
  it('first deploy of the stack', async () => {
    // Before the deploy the stack does not exist; the framework then creates it with its bucket only.
    m.cloudFormation
      .on(ListStackResourcesCommand)
      .rejectsOnce(stackMissing)
      .resolves({
        StackResourceSummaries: [
          {
            LogicalResourceId: 'ServerlessDeploymentBucket',
            ResourceType: 'AWS::S3::Bucket',
            PhysicalResourceId: 'b',
            ResourceStatus: 'CREATE_COMPLETE',
            LastUpdatedTimestamp: new Date(0),
          },
        ],
      });
    const { ctx, out } = testContext();
    await runHooks(ctx, [
      'before:deploy:deploy',
      'before:aws:deploy:deploy:updateStack',
      'after:aws:deploy:deploy:updateStack',
    ]);
    const first =
      'first deploy of the stack: CloudFormation creates the alias on the new version directly; gradual shifting starts with the next deploy that changes its code or configuration.';
    expect(out.notices).toEqual([
      `[traffic] api: nothing shifts: ${first}`,
      `[traffic] worker: nothing shifts: ${first}`,
      '[traffic] nightly: nothing shifts: it moves in place in this stage (stage "dev" is not in stages [prod]): the alias goes to the new version at once, without CodeDeploy.',
    ]);
    expect(out.warnings).toEqual([]);
  });

  it('unchanged code, and an in-place stage', async () => {
    stack();
    aliases();
    const { ctx, out } = testContext({
      template: () => compiledTemplate({ Api: 'Old', Worker: 'Old', Nightly: 'New' }),
    });
    await runHooks(ctx, [
      'before:deploy:deploy',
      'before:aws:deploy:deploy:updateStack',
      'after:aws:deploy:deploy:updateStack',
    ]);
    const unchanged =
      'its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.';
    expect(out.notices).toEqual([
      `[traffic] api: nothing shifts: ${unchanged}`,
      `[traffic] worker: nothing shifts: ${unchanged}`,
      '[traffic] nightly: nothing shifts: it moves in place in this stage (stage "dev" is not in stages [prod]): the alias goes to the new version at once, without CodeDeploy.',
    ]);
  });

  it('a function that moves in place in this stage, unchanged: it publishes no version, so its alias stays', async () => {
    stack();
    aliases();
    const { ctx, out } = testContext({
      template: () => compiledTemplate({ Api: 'Old', Worker: 'Old', Nightly: 'Old' }),
    });
    await runHooks(ctx, ['before:deploy:deploy', 'before:aws:deploy:deploy:updateStack']);
    const unchanged =
      'its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.';
    expect(out.notices).toEqual([
      `[traffic] api: nothing shifts: ${unchanged}`,
      `[traffic] worker: nothing shifts: ${unchanged}`,
      `[traffic] nightly: nothing shifts: ${unchanged}`,
    ]);
  });

  it('the framework skips the update: nothing changed at all', async () => {
    stack();
    aliases();
    const { ctx, out } = testContext({ deploySkipped: () => true });
    await runHooks(ctx, ['before:deploy:deploy', 'before:aws:deploy:deploy:updateStack']);
    expect(out.notices).toEqual([
      '[traffic] nothing shifts: code and configuration are unchanged since the last deploy, so the framework skips the stack update.',
    ]);
  });
});

describe('during the stack update', () => {
  function deploy(script: Script, template = compiledTemplate({ Api: 'New', Worker: 'Old', Nightly: 'Old' })) {
    stack();
    aliases();
    const clock = new FakeClock(true);
    play(m, clock, { alarmsOfGroup: { [API_GROUP]: ['svc-dev-api-errors'] }, ...script });
    return testContext({ clock, template: () => template });
  }

  it('follows a canary to the end and adds nothing to a successful deploy', async () => {
    const { ctx, out, clock } = deploy({ deployments: [canarySuccess()] });
    const hooks = await runHooks(ctx, ['before:deploy:deploy', 'before:aws:deploy:deploy:updateStack']);
    await clock.reach(360); // CloudFormation's update takes as long as the rollout
    await hooks['after:aws:deploy:deploy:updateStack']!();
    expect(out.notices.filter((n) => n.includes('api'))).toEqual([
      '[traffic] following the rollout of api (CodeDeploy)',
      '[traffic] api: waiting for CloudFormation to start the CodeDeploy deployment',
      '[traffic] api: deployment d-CANARY1 created (Canary10Percent5Minutes) · pre-traffic hook function check pending · alarms: 1 OK',
      '[traffic] api: 0% on version 7, 100% on version 6, checks before any traffic moves (Canary10Percent5Minutes) · pre-traffic hook function check running · alarms: 1 OK',
      '[traffic] api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:40 UTC · pre-traffic hook function check passed · alarms: 1 OK',
      '[traffic] api: 100% on version 7 (Canary10Percent5Minutes) · step 2/2 · pre-traffic hook function check passed · alarms: 1 OK',
      '[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)',
    ]);
    expect(out.warnings).toEqual([]);
  });

  it("shows both versions' figures as calls come, and closes with the two versions compared: the lines docs/commands.md shows", async () => {
    const { ctx, out, clock } = deploy({
      deployments: [canarySuccess()],
      traffic: [
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
          callsPerMinute: 100,
          errorsPerMinute: 2,
          averageMs: 35,
          p99Ms: 120,
        },
      ],
    });
    const hooks = await runHooks(ctx, ['before:deploy:deploy', 'before:aws:deploy:deploy:updateStack']);
    await clock.reach(360);
    await hooks['after:aws:deploy:deploy:updateStack']!();
    const lines = out.notices.filter((n) => n.includes('api'));
    expect(lines.slice(-3)).toEqual([
      '[traffic] api: 100% on version 7 (Canary10Percent5Minutes) · step 2/2 · pre-traffic hook function check passed · alarms: 1 OK · version 7: 400 calls, 8 errors (2%), avg 35 ms, p99 120 ms; version 6: 4,500 calls, 5 errors (0.11%), avg 30 ms, p99 90 ms',
      '[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)',
      '[traffic] api: version 7 against version 6 over the rollout (5m 25s): error rate 2% against 0.11% (+1.89 points), average 35 ms against 30 ms (1.17×), p99 120 ms against 90 ms; 400 and 4,500 calls',
    ]);
    // docs/commands.md shows the first lines with figures and the last ones, as they are printed.
    const docs = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'commands.md'), 'utf8');
    const withFigures = lines.filter((l) => l.includes('; version 6: '));
    const shown = [...withFigures.slice(0, 2), ...lines.slice(-3)];
    expect(shown).toHaveLength(5);
    for (const line of shown) expect(docs).toContain(line);
    expect(out.warnings).toEqual([]);
  });

  it('interactive: one redrawn progress line per function, removed at the end, then the final line', async () => {
    const updates: string[] = [];
    const removed: string[] = [];
    const { ctx, out, clock } = deploy({ deployments: [canarySuccess()] });
    const interactive: TrafficContext = {
      ...ctx,
      interactive: true,
      progress: { get: (name) => ({ notice: (t) => updates.push(`${name}: ${t}`), remove: () => removed.push(name) }) },
    };
    const hooks = await runHooks(interactive, ['before:deploy:deploy', 'before:aws:deploy:deploy:updateStack']);
    await clock.reach(100);
    await hooks['after:aws:deploy:deploy:updateStack']!();
    expect(updates).toContain(
      'traffic-shift-api: api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:40 UTC (in 4m 00s) · pre-traffic hook function check passed · alarms: 1 OK',
    );
    expect(removed).toEqual(['traffic-shift-api']);
    expect(out.notices[out.notices.length - 1]).toMatch(/^\[traffic\] api: /);
  });

  it("a rollback fails the deploy with the alarm, its reason and the version the alias is on, before CloudFormation's error", async () => {
    const { ctx, clock } = deploy({
      deployments: alarmRollback(),
      alarms: [
        {
          name: 'svc-dev-api-errors',
          states: [
            { at: 0, state: 'OK' },
            { at: 95, state: 'ALARM', reason: ALARM_REASON },
          ],
        },
      ],
    });
    const hooks = await runHooks(ctx, ['before:deploy:deploy', 'before:aws:deploy:deploy:updateStack']);
    await clock.reach(105); // CloudFormation reports the alias update failed
    const error = Object.assign(new Error('An error occurred: ApiTrafficShiftAlias - Deployment d-ALARM1 failed.'), {
      name: 'ServerlessError',
      decoratedMessage: 'UPDATE_FAILED: ApiTrafficShiftAlias (AWS::Lambda::Alias)\nDeployment d-ALARM1 failed.',
    });
    await hooks.error!(error);
    const cause = `Traffic shift failed for api:\n  api: rolled back (deployment d-ALARM1): alarm "svc-dev-api-errors" fired: ${ALARM_REASON} Alias "live" now serves version 6 (100%).`;
    expect(error.message).toBe(
      `${cause}\n\nCloudFormation: An error occurred: ApiTrafficShiftAlias - Deployment d-ALARM1 failed.`,
    );
    expect(error.decoratedMessage).toBe(
      `${cause}\n\nCloudFormation: UPDATE_FAILED: ApiTrafficShiftAlias (AWS::Lambda::Alias)\nDeployment d-ALARM1 failed.`,
    );
  });

  it("v4 prints the error's stack: the cause goes in front of it as well, the trace kept", async () => {
    // v4's ServerlessError (lib/serverless-error.js) keeps its stack, and v4's CLI prints `error.stack`.
    class ServerlessErrorV4 extends Error {}
    Object.defineProperty(ServerlessErrorV4.prototype, 'name', { value: 'ServerlessError', writable: true });
    const { ctx, clock } = deploy({
      deployments: alarmRollback(),
      alarms: [
        {
          name: 'svc-dev-api-errors',
          states: [
            { at: 0, state: 'OK' },
            { at: 95, state: 'ALARM', reason: ALARM_REASON },
          ],
        },
      ],
    });
    const hooks = await runHooks(ctx, ['before:deploy:deploy', 'before:aws:deploy:deploy:updateStack']);
    await clock.reach(105);
    const error = new ServerlessErrorV4('An error occurred: ApiTrafficShiftAlias - Deployment d-ALARM1 failed.');
    await hooks.error!(error);
    const printed = error.stack ?? error.message;
    expect(printed).toMatch(
      /^ServerlessError: Traffic shift failed for api:\n {2}api: rolled back \(deployment d-ALARM1\): alarm "svc-dev-api-errors" fired: .* Alias "live" now serves version 6 \(100%\)\.\n\nCloudFormation: An error occurred: ApiTrafficShiftAlias - Deployment d-ALARM1 failed\.\n {4}at /,
    );
    expect(printed.split('\n').filter((line) => line.startsWith('    at ')).length).toBeGreaterThan(0);
  });

  it('v4 (a progress API of one spinner line): plain lines in an interactive terminal, the spinner left alone', async () => {
    const v4 = v4Progress();
    v4.progress.notice?.('Updating AWS CloudFormation stack');
    const { ctx, out, clock } = deploy({ deployments: [canarySuccess()] });
    const hooks = await runHooks({ ...ctx, interactive: true, progress: v4.progress }, [
      'before:deploy:deploy',
      'before:aws:deploy:deploy:updateStack',
    ]);
    await clock.reach(360);
    await hooks['after:aws:deploy:deploy:updateStack']!();
    expect(out.notices.filter((n) => n.startsWith('[traffic] api: '))).toEqual([
      '[traffic] api: waiting for CloudFormation to start the CodeDeploy deployment',
      '[traffic] api: deployment d-CANARY1 created (Canary10Percent5Minutes) · pre-traffic hook function check pending · alarms: 1 OK',
      '[traffic] api: 0% on version 7, 100% on version 6, checks before any traffic moves (Canary10Percent5Minutes) · pre-traffic hook function check running · alarms: 1 OK',
      '[traffic] api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:40 UTC · pre-traffic hook function check passed · alarms: 1 OK',
      '[traffic] api: 100% on version 7 (Canary10Percent5Minutes) · step 2/2 · pre-traffic hook function check passed · alarms: 1 OK',
      '[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)',
    ]);
    expect(v4.spinner).toEqual(['Updating AWS CloudFormation stack']);
  });

  it('an error of another command, or before the view started, is left alone', async () => {
    const error = new Error('boom');
    await deployHooks(() => {
      throw new Error('no context needed');
    }).error!(error);
    expect(error.message).toBe('boom');
  });

  it('never fails the deploy when the rollout cannot be read', async () => {
    const { ctx, out, clock } = deploy({ deployments: [canarySuccess()] });
    m.codeDeploy.rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const hooks = await runHooks(ctx, ['before:deploy:deploy', 'before:aws:deploy:deploy:updateStack']);
    await clock.reach(60);
    await expect(hooks['after:aws:deploy:deploy:updateStack']!()).resolves.toBeUndefined();
    expect(out.warnings).toEqual([
      'serverless-traffic-shift: Could not list the CodeDeploy deployments: AccessDeniedException: not authorized. The view carries on without it.',
    ]);
    expect(out.notices).toContain(
      '[traffic] api: no CodeDeploy deployment was seen: CloudFormation did not move its alias in this update.',
    );
  });
});

describe('serverless deploy function', () => {
  const fnDeploy = (fn: string) => testContext({ options: { function: fn } });

  it("says a shifted function's alias still serves its version, and how to shift to the new code", async () => {
    aliases({ 'svc-dev-api': { '7': 0.1 } });
    const { ctx, out } = fnDeploy('api');
    await runHooks(ctx, ['after:deploy:function:deploy']);
    expect(m.lambda.commandCalls(GetAliasCommand).map((c) => c.args[0].input)).toEqual([
      { FunctionName: 'svc-dev-api', Name: 'live' },
    ]);
    expect(out.warnings).toEqual([
      'serverless-traffic-shift: "deploy function" changed api at $LATEST only. Its event sources call alias "live", which still serves ' +
        'version 6 (90%), version 7 (10%): its traffic has not changed. Run "serverless deploy --stage dev --region us-east-1" to publish a ' +
        'version and shift traffic to it (Canary10Percent5Minutes, watched by its alarms and hooks).',
    ]);
  });

  it('an in-place stage: the deploy moves the alias', async () => {
    aliases();
    const { ctx, out } = fnDeploy('nightly');
    await runHooks(ctx, ['after:deploy:function:deploy']);
    expect(out.warnings).toEqual([
      'serverless-traffic-shift: "deploy function" changed nightly at $LATEST only. Its event sources call alias "live", which still serves ' +
        'version 6 (100%): its traffic has not changed. Run "serverless deploy --stage dev --region us-east-1" to publish a version and move its alias to it.',
    ]);
  });

  it('without the alias version when it cannot be read; nothing for a function the plugin leaves alone', async () => {
    m.lambda.on(GetAliasCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const { ctx, out } = fnDeploy('worker');
    await expect(runHooks(ctx, ['after:deploy:function:deploy'])).resolves.toBeDefined();
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toContain(
      'alias "live", which still serves the version it served before: its traffic has not changed.',
    );
    const hook = fnDeploy('check');
    await runHooks(hook.ctx, ['after:deploy:function:deploy']);
    expect(hook.out.warnings).toEqual([]);
    expect(m.lambda.commandCalls(GetAliasCommand)).toHaveLength(1);
  });

  it('rollback function: says the alias still serves its version, and how to move the traffic to the restored one by hand', async () => {
    aliases();
    const { ctx, out } = testContext({ options: { function: 'api', functionVersion: '4' } });
    await runHooks(ctx, ['after:rollback:function:rollback']);
    expect(out.warnings).toEqual([
      'serverless-traffic-shift: "rollback function" changed api at $LATEST only. Its event sources call alias "live", which still serves ' +
        'version 6 (100%): its traffic has not changed. To move its traffic to version 4 by hand: ' +
        '"serverless traffic shift --function api --to-version 4 --weight 10 --stage dev --region us-east-1", ' +
        'then "serverless traffic promote --function api --stage dev --region us-east-1".',
    ]);
  });

  it('settings the plugin rejects do not fail a function that is already deployed', async () => {
    const { ctx, out } = testContext({
      options: { function: 'api' },
      functions: () => {
        throw new Error('functions.api.deploymentSettings.type must be ...');
      },
    });
    await expect(runHooks(ctx, ['after:deploy:function:deploy'])).resolves.toBeDefined();
    expect(out.warnings).toEqual([
      'serverless-traffic-shift: could not read deploymentSettings (functions.api.deploymentSettings.type must be ...); if api is shifted, its alias still serves the version it served before.',
    ]);
  });
});

describe('prependToError', () => {
  it('a stack already read (the error was logged) gets the cause on its first line, the trace kept', () => {
    const error = new Error('Stack update failed');
    const frames = (error.stack as string).split('\n').slice(1);
    prependToError(error, 'Traffic shift failed for api');
    expect(error.message).toBe('Traffic shift failed for api\n\nCloudFormation: Stack update failed');
    expect(error.stack).toBe(
      ['Error: Traffic shift failed for api', '', 'CloudFormation: Stack update failed', ...frames].join('\n'),
    );
  });

  it('a stack that does not begin with the message gets the cause in front of it', () => {
    const error = Object.assign(new Error('x'), { stack: 'custom trace' });
    prependToError(error, 'Traffic shift failed for api');
    expect(error.stack).toBe('Traffic shift failed for api\n\nCloudFormation: custom trace');
  });
});
