/** The progress model and the words: deployment facts → what the user sees, and the cause of a failure. */
import { failureCause, failureSummary, rolloutView, type RolloutFacts } from '../../../src/deploy/rollout-model';
import { alarmText, progressLine } from '../../../src/deploy/live-view-text';
import { clock, dateTime, duration, percent } from '../../../src/deploy/format';
import { at } from './timeline';

const base = (over: Partial<RolloutFacts> = {}): RolloutFacts => ({
  name: 'api',
  alias: 'live',
  alarms: [],
  fired: [],
  hooks: {},
  ...over,
});
const deployment = (status: string, over: Partial<NonNullable<RolloutFacts['deployment']>> = {}) => ({
  id: 'd-1',
  status,
  configName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
  createTime: at(0),
  startTime: at(5),
  ...over,
});

describe('rolloutView', () => {
  it('without a deployment: waiting', () => {
    expect(rolloutView(base(), at(0))).toMatchObject({ phase: 'waiting', finished: false, failed: false });
  });

  it('between two reads, the share follows the schedule, and the next shift is due at the step time', () => {
    const facts = base({
      deployment: deployment('InProgress'),
      strategy: { kind: 'canary', percentage: 10, intervalMinutes: 5 },
      target: {
        readAt: at(50),
        currentVersion: '6',
        targetVersion: '7',
        percent: 10,
        events: [
          { name: 'BeforeAllowTraffic', status: 'Skipped' },
          { name: 'AllowTraffic', status: 'InProgress', start: at(10) },
        ],
      },
    });
    expect(rolloutView(facts, at(60))).toMatchObject({
      phase: 'shifting',
      percent: 10,
      step: { index: 1, count: 2 },
      next: { at: at(310), percent: 100 },
    });
    // The read at 50s is older than the step due at 310s: the schedule's 100% is shown.
    expect(rolloutView(facts, at(320))).toMatchObject({
      phase: 'shifting',
      percent: 100,
      step: { index: 2, count: 2 },
    });
    expect(rolloutView(facts, at(320)).next).toBeUndefined();
  });

  it('post-traffic hook running: all traffic on the new version', () => {
    const facts = base({
      deployment: deployment('InProgress'),
      hooks: { after: 'bake watching the alarms (TrafficShiftBakeHook)' },
      target: {
        readAt: at(400),
        targetVersion: '7',
        percent: 100,
        events: [
          { name: 'BeforeAllowTraffic', status: 'Skipped' },
          { name: 'AllowTraffic', status: 'Succeeded' },
          { name: 'AfterAllowTraffic', status: 'InProgress' },
        ],
      },
    });
    expect(progressLine(rolloutView(facts, at(400)), { now: at(400), countdown: false })).toBe(
      'api: 100% on version 7 · post-traffic hook bake watching the alarms (TrafficShiftBakeHook) running',
    );
  });
});

describe('failureCause', () => {
  it("an alarm named in CodeDeploy's message, with the reason seen", () => {
    const facts = base({
      deployment: deployment('Stopped', { error: { code: 'ALARM_ACTIVE', message: 'Activated alarms: <api-errors>' } }),
      alarms: [
        { name: 'api-errors', state: 'OK' },
        { name: 'api-throttles', state: 'OK' },
      ],
      fired: [{ name: 'api-errors', state: 'ALARM', reason: 'Threshold Crossed: 2 > 1' }],
    });
    expect(failureCause(facts)).toBe('alarm "api-errors" fired: Threshold Crossed: 2 > 1');
  });

  it("an alarm the view never read: CodeDeploy's words", () => {
    const facts = base({
      deployment: deployment('Stopped', { error: { code: 'ALARM_ACTIVE', message: 'Activated alarms: <x>' } }),
    });
    expect(failureCause(facts)).toBe('an alarm of the deployment group fired (CodeDeploy: Activated alarms: <x>)');
  });

  it("a hook without diagnostics: CodeDeploy's message and where the hook's own message is", () => {
    const facts = base({
      deployment: deployment('Failed', {
        error: { code: 'HOOK_EXECUTION_FAILURE', message: 'Lifecycle hook failed.' },
      }),
      hooks: { after: 'function check' },
      target: { readAt: at(9), events: [{ name: 'AfterAllowTraffic', status: 'Failed' }] },
    });
    expect(failureCause(facts)).toBe(
      'the post-traffic hook (function check) reported failure or did not report within an hour: Lifecycle hook failed; its own log (CloudWatch Logs of the hook function) has the details',
    );
  });

  it('an alarm seen firing does not hide another error CodeDeploy names', () => {
    const facts = base({
      deployment: deployment('Failed', {
        error: { code: 'INVALID_LAMBDA_CONFIGURATION', message: 'The alias points at two versions' },
      }),
      fired: [{ name: 'api-errors', state: 'ALARM' }],
    });
    expect(failureCause(facts)).toBe('CodeDeploy error INVALID_LAMBDA_CONFIGURATION: The alias points at two versions');
    expect(failureCause({ ...facts, deployment: deployment('Stopped') })).toBe('alarm "api-errors" fired');
  });

  it('a stop on request, and any other CodeDeploy error', () => {
    expect(
      failureCause(
        base({ deployment: deployment('Stopped', { error: { code: 'MANUAL_STOP', message: 'Stopped by user' } }) }),
      ),
    ).toBe(
      'stopped on request (serverless traffic rollback, the CodeDeploy console or StopDeployment): Stopped by user',
    );
    expect(
      failureCause(
        base({
          deployment: deployment('Failed', { error: { code: 'IAM_ROLE_PERMISSIONS', message: 'Role cannot invoke' } }),
        }),
      ),
    ).toBe('CodeDeploy error IAM_ROLE_PERMISSIONS: Role cannot invoke');
  });
});

describe('failureSummary', () => {
  it('one line per failed function with the version its alias serves now', () => {
    const view = rolloutView(
      base({
        deployment: deployment('Stopped', {
          error: { code: 'ALARM_ACTIVE', message: 'Activated alarms: <api-errors>' },
        }),
        fired: [{ name: 'api-errors', state: 'ALARM', reason: 'Threshold Crossed' }],
      }),
      at(100),
    );
    expect(failureSummary([{ view, aliasNow: 'version 6 (100%)' }], 2)).toBe(
      'Traffic shift failed for 1 of 2 functions:\n  api: rollout failed (deployment d-1): alarm "api-errors" fired: Threshold Crossed. Alias "live" now serves version 6 (100%).',
    );
    expect(failureSummary([{ view }], 1)).toMatch(/^Traffic shift failed for api:\n/);
  });
});

describe('words', () => {
  it('alarm summary', () => {
    expect(alarmText([])).toBeUndefined();
    expect(
      alarmText([
        { name: 'a', state: 'OK' },
        { name: 'b', state: 'INSUFFICIENT_DATA' },
        { name: 'c', state: 'ALARM' },
      ]),
    ).toBe('alarms: 1 OK, 1 INSUFFICIENT_DATA, ALARM: c');
  });
  it('times, durations and percentages', () => {
    expect(clock(at(90))).toBe('08:41:30 UTC');
    expect(dateTime(at(0))).toBe('2026-11-28 08:40:00 UTC');
    expect([duration(45000), duration(190000), duration(7500000)]).toEqual(['45s', '3m 10s', '2h 05m']);
    expect([percent(10), percent(12.5), percent(100 / 3)]).toEqual(['10%', '12.5%', '33.33%']);
  });
});
