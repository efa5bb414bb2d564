/**
 * The CodeDeploy stand-in's reads as a function of the virtual time of the read: a lifecycle hook is InProgress from
 * its scheduled start even before the engine has invoked it (on a loaded machine its tick comes late, and a poller
 * must not see `Pending` for a moment the schedule says is past), and a hook whose time never came because the
 * deployment stopped stays Pending. The engine is not started here: no tick, no moto.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { IdSource, type VirtualClock } from './clock';
import { CodeDeployStandIn, CREATED_HOLD_MS, type DeploymentRequest } from './codedeploy';

const MINUTE = 60000;

interface LifecycleEvent {
  lifecycleEventName: string;
  status: string;
  startTime?: number;
  endTime?: number;
}

function standIn(deploymentConfigName: string) {
  let now = Date.parse('2026-11-28T08:30:00Z');
  const clock = { nowMs: () => now } as unknown as VirtualClock;
  const invoked: string[] = [];
  const codeDeploy = new CodeDeployStandIn({
    clock,
    ids: new IdSource(7),
    lambda: {} as LambdaClient,
    cloudWatch: {} as CloudWatchClient,
    invokeHook: (call) => invoked.push(call.functionName),
    region: 'us-east-1',
    account: '123456789012',
  });
  codeDeploy.createApplication('app');
  codeDeploy.putGroup({
    applicationName: 'app',
    deploymentGroupName: 'group',
    deploymentConfigName,
    alarms: [],
    alarmsEnabled: false,
    autoRollback: { enabled: false, events: [] },
  });
  const created = now;
  const deploy = (hooks: Pick<DeploymentRequest, 'beforeHook' | 'afterHook'>): string =>
    codeDeploy.createDeployment({
      applicationName: 'app',
      deploymentGroupName: 'group',
      functionName: 'svc-prod-api',
      alias: 'live',
      currentVersion: '1',
      targetVersion: '2',
      ...hooks,
    }).id;
  const events = async (deploymentId: string): Promise<Record<string, LifecycleEvent>> => {
    const { deploymentTargets } = (await codeDeploy.handle('BatchGetDeploymentTargets', {
      deploymentId,
      targetIds: ['svc-prod-api:live'],
    })) as { deploymentTargets: { lambdaTarget: { lifecycleEvents: LifecycleEvent[] } }[] };
    const list = deploymentTargets[0]?.lambdaTarget.lifecycleEvents ?? [];
    return Object.fromEntries(list.map((e) => [e.lifecycleEventName, e]));
  };
  return { codeDeploy, invoked, created, deploy, events, at: (ms: number) => (now = created + ms) };
}

describe('the CodeDeploy stand-in: lifecycle hooks as reads see them', () => {
  it('the pre-traffic hook is InProgress from the deployment start, before the engine has invoked it', async () => {
    const s = standIn('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    const id = s.deploy({ beforeHook: 'svc-prod-check' });
    s.at(CREATED_HOLD_MS - 1);
    expect((await s.events(id)).BeforeAllowTraffic).toEqual({
      lifecycleEventName: 'BeforeAllowTraffic',
      status: 'Pending',
    });
    s.at(CREATED_HOLD_MS);
    expect(s.invoked).toEqual([]);
    const started = await s.events(id);
    expect(started.BeforeAllowTraffic).toEqual({
      lifecycleEventName: 'BeforeAllowTraffic',
      status: 'InProgress',
      startTime: (s.created + CREATED_HOLD_MS) / 1000,
    });
    expect(started.AllowTraffic?.status).toBe('Pending');
  });

  it('a stop ends the running hook (Skipped); a hook whose time had not come stays Pending', async () => {
    const before = standIn('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    const stoppedInHook = before.deploy({ beforeHook: 'svc-prod-check' });
    before.at(CREATED_HOLD_MS + 20000);
    await before.codeDeploy.handle('StopDeployment', { deploymentId: stoppedInHook, autoRollbackEnabled: false });
    before.at(CREATED_HOLD_MS + 10 * MINUTE);
    expect((await before.events(stoppedInHook)).BeforeAllowTraffic).toEqual({
      lifecycleEventName: 'BeforeAllowTraffic',
      status: 'Skipped',
      startTime: (before.created + CREATED_HOLD_MS) / 1000,
      endTime: (before.created + CREATED_HOLD_MS + 20000) / 1000,
    });

    // Without a pre-traffic hook AllowTraffic starts at once; stopped at 2 minutes of a 5-minute canary, the
    // post-traffic hook's time (the end of AllowTraffic) never comes, even once the schedule has passed it.
    const after = standIn('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    const stoppedInCanary = after.deploy({ afterHook: 'svc-prod-check' });
    after.at(CREATED_HOLD_MS + 2 * MINUTE);
    await after.codeDeploy.handle('StopDeployment', { deploymentId: stoppedInCanary, autoRollbackEnabled: false });
    after.at(CREATED_HOLD_MS + 10 * MINUTE);
    expect((await after.events(stoppedInCanary)).AfterAllowTraffic).toEqual({
      lifecycleEventName: 'AfterAllowTraffic',
      status: 'Pending',
    });
  });

  it('the post-traffic hook is InProgress from the end of AllowTraffic', async () => {
    const s = standIn('CodeDeployDefault.LambdaAllAtOnce');
    const id = s.deploy({ afterHook: 'svc-prod-check' });
    s.at(CREATED_HOLD_MS);
    const events = await s.events(id);
    expect(events.AllowTraffic?.status).toBe('Succeeded');
    expect(events.AfterAllowTraffic).toEqual({
      lifecycleEventName: 'AfterAllowTraffic',
      status: 'InProgress',
      startTime: (s.created + CREATED_HOLD_MS) / 1000,
    });
    expect(s.invoked).toEqual([]);
  });
});
