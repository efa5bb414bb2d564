/**
 * A CodeDeploy stand-in for Lambda deployments, for what moto lacks (it keeps deployments in `Created`, has no
 * StopDeployment and answers target reads with errors). It speaks the CodeDeploy API (JSON 1.1,
 * `X-Amz-Target: CodeDeploy_20141006.<Operation>`, the API reference's field names and statuses, times in epoch
 * seconds, errors as `{ "__type", "message" }`) for the operations the plugin and a hook call; the local
 * CloudFormation creates applications, groups, custom configurations and deployments through its methods.
 *
 * A deployment runs on the virtual clock: `Created` for CREATED_HOLD, then the BeforeAllowTraffic hook (invoked
 * through `invokeHook`; it must report with PutLifecycleEventHookExecutionStatus, and the event lasts at least
 * HOOK_MIN), AllowTraffic moving the alias weights in moto along the configuration's canary/linear timeline, the
 * AfterAllowTraffic hook (without one, AFTER_HOLD), `Succeeded`. What a read answers is a function of the virtual time of the read and of the
 * facts recorded so far (when a hook reported, when an alarm fired, when a stop was asked for), so a poller sees
 * each step at the time the schedule gives it (and the end a little early: FINISH_LEAD, see `allowEnd`). The weights
 * are written to moto a moment (LEAD) before they are due.
 * The group's alarms are read in moto every ALARM_POLL; one in ALARM stops the deployment (`Stopped`,
 * ALARM_ACTIVE) and, with automatic rollback on, a rollback deployment (creator `codeDeployRollback`) moves the
 * alias back to the version it served; being the group's latest deployment, it is its `lastAttemptedDeployment` (the
 * API reference does not say; `traffic status` shows the rollout it undid either way).
 *
 * Not modelled: EC2/ECS deployments, deployment targets other than Lambda, triggers, the one-hour hook timeout,
 * more than one deployment per group at a time (a second one is refused, as CodeDeploy does).
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { IdSource, type VirtualClock } from './clock';

export const CREATED_HOLD_MS = 60000;
export const HOOK_MIN_MS = 60000;
export const ROLLBACK_MIN_MS = 30000;
/** From the end of AllowTraffic to the end of a deployment without an AfterAllowTraffic hook. */
export const AFTER_HOLD_MS = 30000;
export const ALARM_POLL_MS = 10000;
const LEAD_MS = 2000;
const FINISH_LEAD_MS = 15000;
const TICK_REAL_MS = 15;

type Status = 'Created' | 'Queued' | 'InProgress' | 'Baking' | 'Ready' | 'Succeeded' | 'Failed' | 'Stopped';
type EventName = 'BeforeAllowTraffic' | 'AllowTraffic' | 'AfterAllowTraffic';

export interface Routing {
  type: 'TimeBasedCanary' | 'TimeBasedLinear' | 'AllAtOnce';
  timeBasedCanary?: { canaryPercentage: number; canaryInterval: number };
  timeBasedLinear?: { linearPercentage: number; linearInterval: number };
}

interface Config {
  deploymentConfigName: string;
  deploymentConfigId: string;
  computePlatform: 'Lambda';
  createTime: number;
  trafficRoutingConfig: Routing;
}

export interface GroupSpec {
  applicationName: string;
  deploymentGroupName: string;
  deploymentConfigName?: string;
  serviceRoleArn?: string;
  alarms: string[];
  alarmsEnabled: boolean;
  autoRollback: { enabled: boolean; events: string[] };
}

interface Group extends GroupSpec {
  deploymentGroupId: string;
  lastAttempted?: { id: string };
  lastSuccessful?: { id: string };
}

export interface DeploymentRequest {
  applicationName: string;
  deploymentGroupName: string;
  functionName: string;
  alias: string;
  currentVersion: string;
  targetVersion: string;
  beforeHook?: string;
  afterHook?: string;
}

interface HookRun {
  executionId: string;
  functionName: string;
  start: number;
  reported?: { status: 'Succeeded' | 'Failed'; at: number };
}

interface Stop {
  at: number;
  status: 'Stopped' | 'Failed';
  code: string;
  message: string;
  rollback: boolean;
}

interface Deployment {
  id: string;
  request: DeploymentRequest;
  config: Config;
  creator: 'CloudFormation' | 'codeDeployRollback';
  createTime: number;
  startTime: number;
  before?: HookRun;
  after?: HookRun;
  /** Steps of AllowTraffic: minute offset and percent; applied ones are written to moto. */
  steps: { minute: number; percent: number; applied: boolean }[];
  stop?: Stop;
  /** For a rollback deployment: when moto's alias was back on the old version. */
  revertedAt?: number;
  rollbackOf?: string;
  rollbackId?: string;
  lastAlarmPoll: number;
  done: Promise<Deployment>;
  resolve: (d: Deployment) => void;
}

export interface HookCall {
  functionName: string;
  deploymentId: string;
  lifecycleEventHookExecutionId: string;
  event: 'BeforeAllowTraffic' | 'AfterAllowTraffic';
}

export interface CodeDeployOptions {
  clock: VirtualClock;
  ids: IdSource;
  lambda: LambdaClient;
  cloudWatch: CloudWatchClient;
  /** Runs a hook function (moto runs no Lambda code here): it must end with PutLifecycleEventHookExecutionStatus. */
  invokeHook(call: HookCall): void;
  region: string;
  account: string;
}

/** The nine predefined Lambda configurations (CodeDeploy User Guide, "Deployment configurations"). */
function predefined(): Map<string, Config> {
  const configs = new Map<string, Config>();
  const add = (name: string, routing: Routing): void => {
    configs.set(name, {
      deploymentConfigName: name,
      deploymentConfigId: `predefined-${name}`,
      computePlatform: 'Lambda',
      createTime: Date.parse('2017-11-28T00:00:00Z') / 1000,
      trafficRoutingConfig: routing,
    });
  };
  for (const minutes of [5, 10, 15, 30])
    add(`CodeDeployDefault.LambdaCanary10Percent${minutes}Minutes`, {
      type: 'TimeBasedCanary',
      timeBasedCanary: { canaryPercentage: 10, canaryInterval: minutes },
    });
  for (const minutes of [1, 2, 3, 10])
    add(`CodeDeployDefault.LambdaLinear10PercentEvery${minutes}Minute${minutes === 1 ? '' : 's'}`, {
      type: 'TimeBasedLinear',
      timeBasedLinear: { linearPercentage: 10, linearInterval: minutes },
    });
  add('CodeDeployDefault.LambdaAllAtOnce', { type: 'AllAtOnce' });
  return configs;
}

function stepsOf(routing: Routing): { minute: number; percent: number; applied: boolean }[] {
  if (routing.type === 'TimeBasedCanary' && routing.timeBasedCanary) {
    const { canaryPercentage, canaryInterval } = routing.timeBasedCanary;
    return [
      { minute: 0, percent: canaryPercentage, applied: false },
      { minute: canaryInterval, percent: 100, applied: false },
    ];
  }
  if (routing.type === 'TimeBasedLinear' && routing.timeBasedLinear) {
    const { linearPercentage, linearInterval } = routing.timeBasedLinear;
    const steps = [];
    for (let i = 0; i * linearPercentage < 100; i++)
      steps.push({ minute: i * linearInterval, percent: Math.min(100, (i + 1) * linearPercentage), applied: false });
    return steps;
  }
  return [{ minute: 0, percent: 100, applied: false }];
}

export class CodeDeployError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class CodeDeployStandIn {
  private readonly applications = new Map<string, { applicationId: string; createTime: number }>();
  private readonly groups = new Map<string, Group>();
  private readonly configs = predefined();
  private readonly deployments = new Map<string, Deployment>();
  private timer?: NodeJS.Timeout;
  private ticking = false;
  /** Errors of the background work (moto unreachable...): a test fails on them at the end. */
  readonly problems: string[] = [];

  constructor(private readonly options: CodeDeployOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_REAL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  // --- What the local CloudFormation creates -------------------------------------------------------------------

  createApplication(name: string): void {
    this.applications.set(name, {
      applicationId: IdSource.named(name, 32).toLowerCase(),
      createTime: this.nowSeconds(),
    });
  }

  deleteApplication(name: string): void {
    this.applications.delete(name);
    // Its deployment groups go with it.
    for (const [key, group] of this.groups) if (group.applicationName === name) this.groups.delete(key);
  }

  deleteGroup(applicationName: string, name: string): void {
    this.groups.delete(`${applicationName}/${name}`);
  }

  putGroup(spec: GroupSpec): void {
    if (!this.applications.has(spec.applicationName))
      throw new CodeDeployError(
        'ApplicationDoesNotExistException',
        `No application found for name: ${spec.applicationName}`,
      );
    const key = `${spec.applicationName}/${spec.deploymentGroupName}`;
    const existing = this.groups.get(key);
    this.groups.set(key, {
      ...existing,
      ...spec,
      deploymentGroupId: existing?.deploymentGroupId ?? IdSource.named(key, 32).toLowerCase(),
    });
  }

  createConfig(name: string, routing: Routing): void {
    this.configs.set(name, {
      deploymentConfigName: name,
      deploymentConfigId: IdSource.named(name, 32).toLowerCase(),
      computePlatform: 'Lambda',
      createTime: this.nowSeconds(),
      trafficRoutingConfig: routing,
    });
  }

  /** Starts a deployment as CloudFormation does when an alias with a CodeDeploy UpdatePolicy moves; ends with it. */
  createDeployment(request: DeploymentRequest): {
    id: string;
    done: Promise<{ succeeded: boolean; status: string; reason: string }>;
  } {
    const group = this.group(request.applicationName, request.deploymentGroupName);
    const running = [...this.deployments.values()].find(
      (d) =>
        d.request.applicationName === request.applicationName &&
        d.request.deploymentGroupName === request.deploymentGroupName &&
        !this.finished(d, this.options.clock.nowMs()),
    );
    if (running)
      throw new CodeDeployError(
        'DeploymentLimitExceededException',
        `The Deployment Group '${request.deploymentGroupName}' already has an active Deployment '${running.id}'`,
      );
    const config = this.configs.get(group.deploymentConfigName ?? 'CodeDeployDefault.LambdaAllAtOnce');
    if (!config)
      throw new CodeDeployError('DeploymentConfigDoesNotExistException', 'No deployment configuration found');
    const d = this.newDeployment(request, config, 'CloudFormation');
    group.lastAttempted = { id: d.id };
    return {
      id: d.id,
      done: d.done.then((ended) => {
        const view = this.info(ended, this.options.clock.nowMs());
        const error = view.errorInformation as { code?: string; message?: string } | undefined;
        return {
          succeeded: view.status === 'Succeeded',
          status: String(view.status),
          reason: error ? `${error.code}: ${error.message}` : String(view.status),
        };
      }),
    };
  }

  private newDeployment(request: DeploymentRequest, config: Config, creator: Deployment['creator']): Deployment {
    const now = this.options.clock.nowMs();
    let resolve!: (d: Deployment) => void;
    const done = new Promise<Deployment>((r) => (resolve = r));
    const d: Deployment = {
      id: `d-${this.options.ids.text(9)}`,
      request,
      config,
      creator,
      createTime: now,
      startTime: now + (creator === 'codeDeployRollback' ? 0 : CREATED_HOLD_MS),
      steps: stepsOf(config.trafficRoutingConfig),
      lastAlarmPoll: now,
      done,
      resolve,
    };
    this.deployments.set(d.id, d);
    return d;
  }

  /** Deployments started so far, oldest first (for tests that wait for a state). */
  list(): { id: string; functionName: string; status: string; step?: number }[] {
    const now = this.options.clock.nowMs();
    return [...this.deployments.values()].map((d) => {
      const allowStart = this.allowStart(d);
      const applied = d.steps.filter((s) => allowStart !== undefined && this.due(d, s, allowStart) <= now);
      return {
        id: d.id,
        functionName: d.request.functionName,
        status: String(this.info(d, now).status),
        ...(applied.length > 0 && { step: applied.length }),
      };
    });
  }

  // --- The API ---------------------------------------------------------------------------------------------------

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const now = this.options.clock.nowMs();
    switch (operation) {
      case 'ListDeployments':
        return this.listDeployments(input, now);
      case 'BatchGetDeployments': {
        const ids = (input.deploymentIds as string[] | undefined) ?? [];
        if (ids.length > 25)
          throw new CodeDeployError(
            'BatchLimitExceededException',
            'The maximum number of names or IDs allowed for this request (25) was exceeded.',
          );
        return {
          deploymentsInfo: ids.flatMap((id) => {
            const d = this.deployments.get(id);
            return d ? [this.info(d, now)] : [];
          }),
        };
      }
      case 'GetDeployment':
        return { deploymentInfo: this.info(this.deployment(input.deploymentId), now) };
      case 'BatchGetDeploymentGroups': {
        const application = String(input.applicationName ?? '');
        if (!this.applications.has(application))
          throw new CodeDeployError(
            'ApplicationDoesNotExistException',
            `No application found for name: ${application}`,
          );
        const names = (input.deploymentGroupNames as string[] | undefined) ?? [];
        const found = names.flatMap((n) => {
          const g = this.groups.get(`${application}/${n}`);
          return g ? [this.groupInfo(g)] : [];
        });
        const missing = names.filter((n) => !this.groups.has(`${application}/${n}`));
        return {
          deploymentGroupsInfo: found,
          errorMessage: missing.length > 0 ? `Deployment groups not found: ${missing.join(', ')}` : '',
        };
      }
      case 'GetDeploymentGroup':
        return {
          deploymentGroupInfo: this.groupInfo(
            this.group(String(input.applicationName), String(input.deploymentGroupName)),
          ),
        };
      case 'GetDeploymentConfig': {
        const config = this.configs.get(String(input.deploymentConfigName));
        if (!config)
          throw new CodeDeployError(
            'DeploymentConfigDoesNotExistException',
            `No deployment configuration found for name: ${String(input.deploymentConfigName)}`,
          );
        return { deploymentConfigInfo: config };
      }
      case 'ListDeploymentTargets': {
        const d = this.deployment(input.deploymentId);
        return { targetIds: [this.targetId(d)] };
      }
      case 'BatchGetDeploymentTargets': {
        const d = this.deployment(input.deploymentId);
        const ids = (input.targetIds as string[] | undefined) ?? [];
        const unknown = ids.find((id) => id !== this.targetId(d));
        if (unknown)
          throw new CodeDeployError(
            'DeploymentTargetDoesNotExistException',
            `The target ${unknown} does not exist in deployment ${d.id}`,
          );
        return { deploymentTargets: ids.map(() => this.target(d, now)) };
      }
      case 'StopDeployment':
        return this.stopDeployment(this.deployment(input.deploymentId), input.autoRollbackEnabled !== false, now);
      case 'PutLifecycleEventHookExecutionStatus':
        return this.putHookStatus(input, now);
      default:
        throw new CodeDeployError(
          'UnknownOperationException',
          `The CodeDeploy stand-in does not implement ${operation}`,
        );
    }
  }

  private listDeployments(input: Record<string, unknown>, now: number): unknown {
    const statuses = input.includeOnlyStatuses as string[] | undefined;
    const range = input.createTimeRange as { start?: number; end?: number } | undefined;
    const ids = [...this.deployments.values()]
      .filter((d) => d.createTime <= now)
      .filter((d) => input.applicationName === undefined || d.request.applicationName === input.applicationName)
      .filter(
        (d) => input.deploymentGroupName === undefined || d.request.deploymentGroupName === input.deploymentGroupName,
      )
      .filter((d) => !statuses || statuses.includes(String(this.info(d, now).status)))
      .filter((d) => range?.start === undefined || d.createTime / 1000 >= range.start)
      .filter((d) => range?.end === undefined || d.createTime / 1000 <= range.end)
      .sort((a, b) => b.createTime - a.createTime)
      .map((d) => d.id);
    // Pages of 2, so that callers follow nextToken.
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const page = ids.slice(start, start + 2);
    return { deployments: page, ...(start + 2 < ids.length && { nextToken: String(start + 2) }) };
  }

  private stopDeployment(d: Deployment, rollback: boolean, now: number): unknown {
    if (this.finished(d, now))
      throw new CodeDeployError('DeploymentAlreadyCompletedException', `The deployment ${d.id} has already completed.`);
    d.stop = {
      at: now,
      status: 'Stopped',
      code: 'MANUAL_STOP',
      message: 'The deployment was stopped by the user.',
      rollback,
    };
    return { status: 'Pending', statusMessage: `Stopping deployment ${d.id}` };
  }

  private putHookStatus(input: Record<string, unknown>, now: number): unknown {
    const d = this.deployment(input.deploymentId);
    const executionId = String(input.lifecycleEventHookExecutionId ?? '');
    const run = [d.before, d.after].find((h) => h?.executionId === executionId);
    if (!run)
      throw new CodeDeployError(
        'InvalidLifecycleEventHookExecutionIdException',
        `The lifecycle event hook execution id ${executionId} is not valid.`,
      );
    if (run.reported || d.stop)
      throw new CodeDeployError(
        'LifecycleEventAlreadyCompletedException',
        `The lifecycle event for ${executionId} has already completed.`,
      );
    const status = input.status;
    if (status !== 'Succeeded' && status !== 'Failed')
      throw new CodeDeployError(
        'InvalidLifecycleEventHookExecutionStatusException',
        `The status ${String(status)} is not valid.`,
      );
    run.reported = { status, at: now };
    if (status === 'Failed')
      d.stop = this.hookFailure(
        d,
        run === d.before ? 'BeforeAllowTraffic' : 'AfterAllowTraffic',
        this.hookEnd(run) as number,
      );
    return { lifecycleEventHookExecutionId: executionId };
  }

  // --- Time: what a read at `now` sees ---------------------------------------------------------------------------

  private hookEnd(run: HookRun | undefined): number | undefined {
    if (!run?.reported) return undefined;
    return Math.max(run.start + HOOK_MIN_MS, run.reported.at);
  }

  /** When AllowTraffic starts: at the start without a pre-traffic hook, else when the hook's event ends well. */
  private allowStart(d: Deployment): number | undefined {
    if (!d.request.beforeHook) return d.startTime;
    return d.before?.reported?.status === 'Succeeded' ? this.hookEnd(d.before) : undefined;
  }

  /** When a step of AllowTraffic is due (its weight is what target reads show from then on). */
  private due(d: Deployment, step: Deployment['steps'][number], allowStart: number): number {
    return allowStart + step.minute * 60000;
  }

  /**
   * When AllowTraffic ends as reads see it: FINISH_LEAD before the last step is due, so that a poll that read the
   * deployment in progress never reckons its view after the last step (it would show 100% as a step of its own, a
   * moment CodeDeploy may or may not let a poller see).
   */
  private allowEnd(d: Deployment): number | undefined {
    const start = this.allowStart(d);
    if (start === undefined) return undefined;
    const last = d.steps[d.steps.length - 1];
    return last && d.steps.length > 1 ? this.due(d, last, start) - FINISH_LEAD_MS : start;
  }

  /** When the deployment ends as reads see it: a function of the recorded facts only, not of the engine's pace. */
  private completeTime(d: Deployment): number | undefined {
    if (d.creator === 'codeDeployRollback')
      return d.revertedAt === undefined ? undefined : Math.max(d.startTime + ROLLBACK_MIN_MS, d.revertedAt);
    if (d.stop) return d.stop.at;
    const allowEnd = this.allowEnd(d);
    if (allowEnd === undefined) return undefined;
    if (!d.request.afterHook) return allowEnd + AFTER_HOLD_MS;
    return d.after?.reported?.status === 'Succeeded' ? this.hookEnd(d.after) : undefined;
  }

  private finished(d: Deployment, now: number): boolean {
    const end = this.completeTime(d);
    return end !== undefined && end <= now;
  }

  /** Ended, and what it changed in moto is written (the stack update may go on). */
  private done(d: Deployment, now: number): boolean {
    return this.finished(d, now) && (Boolean(d.stop) || d.steps.every((s) => s.applied));
  }

  private status(d: Deployment, now: number): Status {
    if (d.stop && d.stop.at <= now) return d.stop.status;
    if (this.finished(d, now)) return 'Succeeded';
    return now < d.startTime ? 'Created' : 'InProgress';
  }

  private percentAt(d: Deployment, now: number): number {
    if (d.creator === 'codeDeployRollback') return this.finished(d, now) ? 100 : 0;
    const until = d.stop ? Math.min(now, d.stop.at) : now;
    const allowStart = this.allowStart(d);
    if (allowStart === undefined || until < allowStart) return 0;
    let percent = 0;
    for (const s of d.steps) if (this.due(d, s, allowStart) <= until) percent = s.percent;
    return percent;
  }

  private info(d: Deployment, now: number): Record<string, unknown> {
    const status = this.status(d, now);
    const finished = ['Succeeded', 'Failed', 'Stopped'].includes(status);
    const complete = finished ? (d.stop && d.stop.at <= now ? d.stop.at : this.completeTime(d)) : undefined;
    const seconds = (ms: number): number => ms / 1000;
    const rollback = d.rollbackId ?? d.rollbackOf;
    return {
      applicationName: d.request.applicationName,
      deploymentGroupName: d.request.deploymentGroupName,
      deploymentConfigName: d.config.deploymentConfigName,
      deploymentId: d.id,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256: d.id } },
      status,
      ...(d.stop && d.stop.at <= now && { errorInformation: { code: d.stop.code, message: d.stop.message } }),
      createTime: seconds(d.createTime),
      ...(now >= d.startTime && { startTime: seconds(d.startTime) }),
      ...(complete !== undefined && { completeTime: seconds(complete) }),
      creator: d.creator,
      ...(rollback && {
        rollbackInfo: d.rollbackOf
          ? { rollbackTriggeringDeploymentId: d.rollbackOf }
          : {
              rollbackDeploymentId: d.rollbackId,
              rollbackMessage: `Deployment ${d.id} was rolled back by deployment ${d.rollbackId}.`,
            },
      }),
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      computePlatform: 'Lambda',
      deploymentStatusMessages: [],
    };
  }

  private targetId(d: Deployment): string {
    return `${d.request.functionName}:${d.request.alias}`;
  }

  private target(d: Deployment, now: number): unknown {
    const seconds = (ms: number): number => ms / 1000;
    const status = this.status(d, now);
    const stoppedAt = d.stop && d.stop.at <= now ? d.stop.at : undefined;
    const event = (name: EventName): Record<string, unknown> => {
      let start: number | undefined;
      let end: number | undefined;
      let state = 'Pending';
      let diagnostics: Record<string, string> | undefined;
      if (name === 'AllowTraffic') {
        const allowStart = this.allowStart(d);
        start = allowStart !== undefined && allowStart <= now ? allowStart : undefined;
        const allowEnd = this.allowEnd(d);
        if (start !== undefined) state = allowEnd !== undefined && allowEnd <= now ? 'Succeeded' : 'InProgress';
        if (state === 'Succeeded') end = allowEnd;
      } else {
        const hook = name === 'BeforeAllowTraffic' ? d.request.beforeHook : d.request.afterHook;
        const run = name === 'BeforeAllowTraffic' ? d.before : d.after;
        const begins = name === 'BeforeAllowTraffic' ? d.startTime : this.allowEnd(d);
        if (!hook) {
          if (begins !== undefined && begins <= now) state = 'Skipped';
        } else if (begins !== undefined && begins <= now && (!d.stop || begins <= d.stop.at)) {
          // From its time on, whether or not the engine has invoked the hook yet (it does so on its next tick).
          start = begins;
          const hookEnd = this.hookEnd(run);
          if (hookEnd !== undefined && hookEnd <= now) {
            state = run?.reported?.status ?? 'InProgress';
            end = hookEnd;
            if (state === 'Failed')
              diagnostics = {
                errorCode: 'UnknownError',
                scriptName: '',
                message: `The function ${hook} reported Failed for ${name} of deployment ${d.id}.`,
                logTail: '',
              };
          } else state = 'InProgress';
        }
      }
      // A stop ends what was running (unverified against CodeDeploy: shown as Skipped).
      if (stoppedAt !== undefined && state === 'InProgress') {
        state = 'Skipped';
        end = stoppedAt;
      }
      return {
        lifecycleEventName: name,
        status: state,
        ...(start !== undefined && { startTime: seconds(start) }),
        ...(end !== undefined && { endTime: seconds(end) }),
        ...(diagnostics && { diagnostics }),
      };
    };
    const rollback = d.creator === 'codeDeployRollback';
    return {
      deploymentTargetType: 'LambdaTarget',
      lambdaTarget: {
        deploymentId: d.id,
        targetId: this.targetId(d),
        targetArn: `arn:aws:lambda:${this.options.region}:${this.options.account}:function:${d.request.functionName}:${d.request.alias}`,
        status,
        lastUpdatedAt: seconds(now),
        lifecycleEvents: rollback
          ? [
              {
                lifecycleEventName: 'AllowTraffic',
                status: this.finished(d, now) ? 'Succeeded' : 'InProgress',
                startTime: seconds(d.startTime),
              },
            ]
          : (['BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic'] as const).map(event),
        lambdaFunctionInfo: {
          functionName: d.request.functionName,
          functionAlias: d.request.alias,
          currentVersion: d.request.currentVersion,
          targetVersion: d.request.targetVersion,
          targetVersionWeight: this.percentAt(d, now) / 100,
        },
      },
    };
  }

  // --- The engine ------------------------------------------------------------------------------------------------

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (const d of [...this.deployments.values()]) {
        try {
          await this.advance(d);
        } catch (error) {
          this.problems.push(`${d.id}: ${(error as Error).message}`);
        }
      }
    } finally {
      this.ticking = false;
    }
  }

  private async advance(d: Deployment): Promise<void> {
    const now = this.options.clock.nowMs();
    if (d.stop && d.stop.at <= now) {
      if (d.stop.rollback && !d.rollbackId) this.startRollback(d);
      const rollback = d.rollbackId ? this.deployments.get(d.rollbackId) : undefined;
      if (!rollback || this.finished(rollback, now)) this.settle(d, now);
      return;
    }
    if (this.done(d, now)) {
      this.settle(d, now);
      return;
    }
    if (d.creator === 'codeDeployRollback') {
      if (d.revertedAt === undefined && now >= d.startTime) {
        await this.setAlias(d, d.request.targetVersion, {});
        d.revertedAt = this.options.clock.nowMs();
      }
      return;
    }
    if (now < d.startTime || d.stop) return;
    await this.watchAlarms(d, now);
    if (d.stop) return;
    // BeforeAllowTraffic.
    if (d.request.beforeHook && !d.before)
      d.before = this.invoke(d, d.request.beforeHook, 'BeforeAllowTraffic', d.startTime);
    const allowStart = this.allowStart(d);
    if (allowStart === undefined) return;
    // AllowTraffic: each step written to moto a moment before it is due.
    for (const step of d.steps) {
      const last = step === d.steps[d.steps.length - 1];
      const at = last ? (this.allowEnd(d) as number) : this.due(d, step, allowStart);
      if (step.applied || at > now + LEAD_MS) continue;
      if (step.percent >= 100) await this.setAlias(d, d.request.targetVersion, {});
      else await this.setAlias(d, d.request.currentVersion, { [d.request.targetVersion]: step.percent / 100 });
      step.applied = true;
    }
    const allowEnd = this.allowEnd(d) as number;
    // AfterAllowTraffic.
    if (d.request.afterHook && !d.after && d.steps.every((s) => s.applied) && allowEnd <= now)
      d.after = this.invoke(d, d.request.afterHook, 'AfterAllowTraffic', allowEnd);
  }

  private settle(d: Deployment, now: number): void {
    if (!this.deployments.has(d.id) || (d as { settled?: boolean }).settled) return;
    (d as { settled?: boolean }).settled = true;
    const group = this.groups.get(`${d.request.applicationName}/${d.request.deploymentGroupName}`);
    if (group && this.status(d, now) === 'Succeeded' && d.creator !== 'codeDeployRollback')
      group.lastSuccessful = { id: d.id };
    d.resolve(d);
  }

  private hookFailure(d: Deployment, event: 'BeforeAllowTraffic' | 'AfterAllowTraffic', at: number): Stop {
    const group = this.group(d.request.applicationName, d.request.deploymentGroupName);
    return {
      at,
      status: 'Failed',
      code: 'HOOK_EXECUTION_FAILURE',
      message: `The ${event} lifecycle event hook reported Failed.`,
      rollback: group.autoRollback.enabled && group.autoRollback.events.includes('DEPLOYMENT_FAILURE'),
    };
  }

  private invoke(d: Deployment, functionName: string, event: HookCall['event'], start: number): HookRun {
    const run: HookRun = { executionId: this.options.ids.uuid(), functionName, start };
    this.options.invokeHook({
      functionName,
      deploymentId: d.id,
      lifecycleEventHookExecutionId: run.executionId,
      event,
    });
    return run;
  }

  private async watchAlarms(d: Deployment, now: number): Promise<void> {
    const group = this.group(d.request.applicationName, d.request.deploymentGroupName);
    if (!group.alarmsEnabled || group.alarms.length === 0 || now - d.lastAlarmPoll < ALARM_POLL_MS) return;
    d.lastAlarmPoll = now;
    const result = await this.options.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: group.alarms }));
    const firing = (result.MetricAlarms ?? []).filter((a) => a.StateValue === 'ALARM').map((a) => a.AlarmName);
    if (firing.length === 0) return;
    d.stop = {
      at: this.options.clock.nowMs(),
      status: 'Stopped',
      code: 'ALARM_ACTIVE',
      message: `One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: ${firing.join(', ')}`,
      rollback: group.autoRollback.enabled && group.autoRollback.events.includes('DEPLOYMENT_STOP_ON_ALARM'),
    };
  }

  private startRollback(d: Deployment): void {
    const rollback = this.newDeployment(
      {
        ...d.request,
        currentVersion: d.request.targetVersion,
        targetVersion: d.request.currentVersion,
        beforeHook: undefined,
        afterHook: undefined,
      },
      d.config,
      'codeDeployRollback',
    );
    rollback.createTime = d.stop?.at ?? rollback.createTime;
    rollback.startTime = rollback.createTime;
    rollback.rollbackOf = d.id;
    d.rollbackId = rollback.id;
    // The rollback is a deployment of the same group, and the latest one: read as the group's last attempted.
    const group = this.groups.get(`${d.request.applicationName}/${d.request.deploymentGroupName}`);
    if (group) group.lastAttempted = { id: rollback.id };
  }

  private async setAlias(d: Deployment, version: string, weights: Record<string, number>): Promise<void> {
    await this.options.lambda.send(
      new UpdateAliasCommand({
        FunctionName: d.request.functionName,
        Name: d.request.alias,
        FunctionVersion: version,
        RoutingConfig: { AdditionalVersionWeights: weights },
      }),
    );
  }

  // --- Lookups ---------------------------------------------------------------------------------------------------

  private deployment(id: unknown): Deployment {
    const d = typeof id === 'string' ? this.deployments.get(id) : undefined;
    if (!d)
      throw new CodeDeployError('DeploymentDoesNotExistException', `The deployment ${String(id)} could not be found.`);
    return d;
  }

  private group(application: string, name: string): Group {
    const g = this.groups.get(`${application}/${name}`);
    if (!g)
      throw new CodeDeployError('DeploymentGroupDoesNotExistException', `No Deployment Group found for name: ${name}`);
    return g;
  }

  private groupInfo(g: Group): Record<string, unknown> {
    const last = g.lastAttempted ? this.deployments.get(g.lastAttempted.id) : undefined;
    const now = this.options.clock.nowMs();
    return {
      applicationName: g.applicationName,
      deploymentGroupId: g.deploymentGroupId,
      deploymentGroupName: g.deploymentGroupName,
      deploymentConfigName: g.deploymentConfigName ?? 'CodeDeployDefault.LambdaAllAtOnce',
      serviceRoleArn: g.serviceRoleArn,
      alarmConfiguration: {
        enabled: g.alarmsEnabled,
        ignorePollAlarmFailure: false,
        alarms: g.alarms.map((name) => ({ name })),
      },
      autoRollbackConfiguration: g.autoRollback,
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      computePlatform: 'Lambda',
      ...(last && {
        lastAttemptedDeployment: {
          deploymentId: last.id,
          status: this.status(last, now),
          createTime: last.createTime / 1000,
          ...(this.completeTime(last) !== undefined && { endTime: (this.completeTime(last) as number) / 1000 }),
        },
      }),
    };
  }

  private nowSeconds(): number {
    return this.options.clock.nowMs() / 1000;
  }
}
