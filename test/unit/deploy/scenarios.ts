/** Scripted rollouts, as CodeDeploy would report them second by second. */
import type { Phase, ScriptedDeployment } from './timeline';

const done = (start: number, end: number) => ({ status: 'Succeeded', start, end });
const running = (start: number) => ({ status: 'InProgress', start });

/** Canary 10% for 5 minutes, with a pre-traffic hook: created at 20s, hook 25–40s, 10% at 40s, 100% at 340s, done at 350s. */
export function canarySuccess(overrides: Partial<ScriptedDeployment> = {}): ScriptedDeployment {
  return {
    id: 'd-CANARY1',
    group: 'svc-dev-ApiTrafficShiftDeploymentGroup-X1',
    functionName: 'svc-dev-api',
    configName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    createdAt: 20,
    phases: [
      { at: 20, status: 'Created' },
      { at: 25, status: 'InProgress', events: { BeforeAllowTraffic: running(25) } },
      {
        at: 40,
        status: 'InProgress',
        weight: 0.1,
        events: { BeforeAllowTraffic: done(25, 40), AllowTraffic: running(40) },
      },
      {
        at: 340,
        status: 'InProgress',
        weight: 1,
        events: { BeforeAllowTraffic: done(25, 40), AllowTraffic: running(40) },
      },
      {
        at: 350,
        status: 'Succeeded',
        weight: 1,
        events: {
          BeforeAllowTraffic: done(25, 40),
          AllowTraffic: done(40, 345),
          AfterAllowTraffic: { status: 'Skipped' },
        },
      },
    ],
    ...overrides,
  };
}

/** Linear 10% every minute, no hooks: 10 steps from 30s to 570s, done at 575s. */
export function linearSuccess(overrides: Partial<ScriptedDeployment> = {}): ScriptedDeployment {
  const phases: Phase[] = [{ at: 20, status: 'Created' }];
  for (let step = 0; step < 10; step += 1) {
    phases.push({
      at: 30 + step * 60,
      status: 'InProgress',
      weight: (step + 1) / 10,
      events: { BeforeAllowTraffic: { status: 'Skipped' }, AllowTraffic: running(30) },
    });
  }
  phases.push({
    at: 575,
    status: 'Succeeded',
    weight: 1,
    events: {
      BeforeAllowTraffic: { status: 'Skipped' },
      AllowTraffic: done(30, 570),
      AfterAllowTraffic: { status: 'Skipped' },
    },
  });
  return {
    id: 'd-LINEAR1',
    group: 'svc-dev-WorkerTrafficShiftDeploymentGroup-X2',
    functionName: 'svc-dev-worker',
    configName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    createdAt: 20,
    targetVersion: '4',
    currentVersion: '3',
    phases,
    ...overrides,
  };
}

export const ALARM_REASON =
  'Threshold Crossed: 1 out of the last 1 datapoints [3.0 (28/11/26 08:41:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).';

/** Canary stopped by an alarm at 100s; CodeDeploy rolls back with d-ROLLBACK1 (100s–110s). */
export function alarmRollback(): ScriptedDeployment[] {
  const main = canarySuccess({
    id: 'd-ALARM1',
    phases: [
      { at: 20, status: 'Created' },
      {
        at: 25,
        status: 'InProgress',
        weight: 0.1,
        events: { BeforeAllowTraffic: { status: 'Skipped' }, AllowTraffic: running(25) },
      },
      {
        at: 100,
        status: 'Stopped',
        weight: 0,
        events: { BeforeAllowTraffic: { status: 'Skipped' }, AllowTraffic: { status: 'Failed', start: 25, end: 100 } },
        error: {
          code: 'ALARM_ACTIVE',
          message:
            'One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <svc-dev-api-errors>',
        },
        rollbackDeploymentId: 'd-ROLLBACK1',
      },
    ],
  });
  const rollback: ScriptedDeployment = {
    id: 'd-ROLLBACK1',
    group: main.group,
    functionName: main.functionName,
    configName: main.configName,
    creator: 'codeDeployRollback',
    createdAt: 100,
    rollbackOf: 'd-ALARM1',
    currentVersion: '7',
    targetVersion: '6',
    phases: [
      { at: 100, status: 'InProgress' },
      { at: 110, status: 'Succeeded', weight: 1 },
    ],
  };
  return [main, rollback];
}

/** The pre-traffic hook reports failure at 60s. */
export function hookFailure(): ScriptedDeployment {
  return canarySuccess({
    id: 'd-HOOK1',
    phases: [
      { at: 20, status: 'Created' },
      { at: 25, status: 'InProgress', events: { BeforeAllowTraffic: running(25) } },
      {
        at: 60,
        status: 'Failed',
        events: {
          BeforeAllowTraffic: {
            status: 'Failed',
            start: 25,
            end: 60,
            message: 'smoke test "GET /health" of api: expected statusCode 200, got 502',
          },
        },
        error: {
          code: 'HOOK_EXECUTION_FAILURE',
          message: 'The deployment failed because one or more of the lifecycle event hooks failed.',
        },
      },
    ],
  });
}
