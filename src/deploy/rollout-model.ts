/**
 * The progress model: what CodeDeploy, Lambda and CloudWatch said about one function's rollout (facts), turned into
 * what the user sees (a view) and, when the rollout fails, the cause in plain words. Pure: no clients, no clock
 * (`now` is a parameter), so every timeline is a plain test.
 */
import { timeline, type Strategy } from '../config/strategy';
import { describeConfig } from './traffic-schedule';
import { duration, list } from './format';
import type { VersionHealth } from './version-health';

export const FINISHED_STATUSES: readonly string[] = ['Succeeded', 'Failed', 'Stopped'];
export const UNFINISHED_STATUSES = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] as const;
export const isFinished = (status: string | undefined): boolean =>
  status !== undefined && FINISHED_STATUSES.includes(status);

/** A CodeDeploy deployment (BatchGetDeployments). */
export interface DeploymentFacts {
  id: string;
  applicationName?: string;
  groupName?: string;
  status: string;
  creator?: string;
  configName?: string;
  createTime?: Date;
  startTime?: Date;
  completeTime?: Date;
  error?: { code?: string; message?: string };
  rollbackInfo?: { rollbackDeploymentId?: string; rollbackTriggeringDeploymentId?: string; rollbackMessage?: string };
}

/** A deployment CodeDeploy started to undo another (automatic rollback): it names the one it undoes. */
export function isRollbackDeployment(d: DeploymentFacts): boolean {
  return d.creator === 'codeDeployRollback' || d.rollbackInfo?.rollbackTriggeringDeploymentId !== undefined;
}

export interface LifecycleFacts {
  /** BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic. */
  name: string;
  status: string;
  start?: Date;
  end?: Date;
  /** CodeDeploy's diagnostics, when it gives any. */
  message?: string;
}

/** The deployment's Lambda target (BatchGetDeploymentTargets), as read at `readAt`. */
export interface TargetFacts {
  readAt: Date;
  /** The Lambda function CodeDeploy shifts (its physical name). */
  functionName?: string;
  currentVersion?: string;
  targetVersion?: string;
  /** Share of traffic on the target version, in percent. */
  percent?: number;
  events: LifecycleFacts[];
}

export interface AlarmFacts {
  name: string;
  /** OK, ALARM or INSUFFICIENT_DATA. */
  state: string;
  reason?: string;
}

/** Who runs the hooks of a function, in words (`function smokeTest`, `the plugin's smoke tests`). */
export interface HookLabels {
  before?: string;
  after?: string;
}

export interface RolloutFacts {
  name: string;
  alias: string;
  deployment?: DeploymentFacts;
  /** The deployment CodeDeploy started to roll back `deployment`. */
  rollback?: DeploymentFacts;
  strategy?: Strategy;
  target?: TargetFacts;
  /** The current state of each alarm of the deployment group. */
  alarms: AlarmFacts[];
  /** Alarms seen in ALARM during the rollout, with the last reason seen: an alarm may be OK again when the rollout ends. */
  fired: AlarmFacts[];
  hooks: HookLabels;
  /** Both versions' calls, errors and durations since the rollout began (CloudWatch). */
  health?: VersionHealth;
}

export type Phase =
  | 'waiting'
  | 'starting'
  | 'inProgress'
  | 'preTraffic'
  | 'shifting'
  | 'postTraffic'
  | 'succeeded'
  | 'rollingBack'
  | 'rolledBack'
  | 'failed';

export interface HookView {
  phase: 'pre-traffic' | 'post-traffic';
  label: string;
  status: string;
}

export interface RolloutView {
  name: string;
  alias: string;
  phase: Phase;
  deploymentId?: string;
  strategy?: string;
  /** Share of traffic on the new version, in percent, when known. */
  percent?: number;
  fromVersion?: string;
  toVersion?: string;
  /** 1-based step of the traffic schedule. */
  step?: { index: number; count: number };
  next?: { at: Date; percent: number };
  hooks: HookView[];
  alarms: AlarmFacts[];
  /** How long the deployment ran, once it finished. */
  tookMs?: number;
  finished: boolean;
  failed: boolean;
  cause?: string;
  /** Both versions' figures so far (or over the whole rollout, once it ended). */
  health?: VersionHealth;
}

const HOOK_EVENTS = { BeforeAllowTraffic: 'pre-traffic', AfterAllowTraffic: 'post-traffic' } as const;

export function rolloutView(facts: RolloutFacts, now: Date): RolloutView {
  const { deployment, target } = facts;
  const base: RolloutView = {
    name: facts.name,
    alias: facts.alias,
    phase: 'waiting',
    hooks: hookViews(facts),
    alarms: facts.alarms,
    finished: false,
    failed: false,
    ...(facts.health && { health: facts.health }),
  };
  if (!deployment) return base;
  const view: RolloutView = {
    ...base,
    deploymentId: deployment.id,
    strategy: describeConfig(deployment.configName, facts.strategy),
    ...(target?.currentVersion !== undefined && { fromVersion: target.currentVersion }),
    ...(target?.targetVersion !== undefined && { toVersion: target.targetVersion }),
  };
  const took = deployment.completeTime && (deployment.startTime ?? deployment.createTime);
  if (took && deployment.completeTime) view.tookMs = deployment.completeTime.getTime() - took.getTime();

  switch (deployment.status) {
    case 'Succeeded':
      return { ...view, phase: 'succeeded', percent: 100, finished: true };
    case 'Failed':
    case 'Stopped': {
      const rollback = facts.rollback;
      const phase: Phase = !rollback
        ? 'failed'
        : isFinished(rollback.status)
          ? rollback.status === 'Succeeded'
            ? 'rolledBack'
            : 'failed'
          : 'rollingBack';
      return { ...view, phase, finished: phase !== 'rollingBack', failed: true, cause: failureCause(facts) };
    }
    case 'Created':
    case 'Queued':
      return { ...view, phase: 'starting', percent: 0 };
    default:
      return { ...view, ...progressOf(facts, now) };
  }
}

/** Phase, traffic and schedule of a deployment in progress, from its lifecycle events and the traffic schedule. */
function progressOf(facts: RolloutFacts, now: Date): Partial<RolloutView> {
  const events = facts.target?.events ?? [];
  const status = (name: string): string | undefined => events.find((e) => e.name === name)?.status;
  const done = (name: string): boolean => ['Succeeded', 'Skipped'].includes(status(name) ?? '');
  if (!facts.target) return { phase: 'inProgress' };
  if (status('AfterAllowTraffic') === 'InProgress' || done('AllowTraffic'))
    return { phase: 'postTraffic', percent: 100 };
  if (status('AllowTraffic') === 'InProgress' || done('BeforeAllowTraffic'))
    return { phase: 'shifting', ...schedule(facts, now) };
  return { phase: 'preTraffic', percent: 0 };
}

/** Where the traffic schedule stands: the read weight when it is fresh, else the share the schedule says is due. */
function schedule(facts: RolloutFacts, now: Date): Partial<RolloutView> {
  const target = facts.target as TargetFacts;
  const allowStart = target.events.find((e) => e.name === 'AllowTraffic')?.start;
  if (!facts.strategy || !allowStart) return target.percent !== undefined ? { percent: target.percent } : {};
  const steps = timeline(facts.strategy);
  const elapsedMinutes = (now.getTime() - allowStart.getTime()) / 60000;
  let index = 0;
  steps.forEach((step, i) => {
    if (step.minute <= elapsedMinutes) index = i;
  });
  const current = steps[index] as { minute: number; percent: number };
  const dueAt = allowStart.getTime() + current.minute * 60000;
  const fresh = target.percent !== undefined && target.readAt.getTime() >= dueAt;
  const next = steps[index + 1];
  return {
    percent: fresh ? (target.percent as number) : current.percent,
    step: { index: index + 1, count: steps.length },
    ...(next && { next: { at: new Date(allowStart.getTime() + next.minute * 60000), percent: next.percent } }),
  };
}

function hookViews(facts: RolloutFacts): HookView[] {
  const views: HookView[] = [];
  for (const [event, phase] of Object.entries(HOOK_EVENTS)) {
    const label = phase === 'pre-traffic' ? facts.hooks.before : facts.hooks.after;
    const status = facts.target?.events.find((e) => e.name === event)?.status;
    // Without a known hook, show the phase only once CodeDeploy runs something in it (a phase without a hook is Skipped).
    if (label === undefined && (status === undefined || status === 'Skipped' || status === 'Pending')) continue;
    views.push({ phase, label: label ?? 'hook', status: status ?? 'Pending' });
  }
  return views;
}

/**
 * Why a rollout failed, in plain words: the alarm that fired and its reason, the hook that failed and its message,
 * a stop on request, or CodeDeploy's own error.
 */
export function failureCause(facts: RolloutFacts): string {
  const deployment = facts.deployment;
  if (!deployment) return 'no deployment';
  const code = deployment.error?.code;
  const message = deployment.error?.message?.trim();
  const failedHook = facts.target?.events.find((e) => e.status === 'Failed' && e.name in HOOK_EVENTS);
  const alarms = firedAlarms(facts, message);

  // CodeDeploy's code decides; an alarm seen firing explains a failure only when CodeDeploy gives no code.
  if (code === 'ALARM_ACTIVE' || (code === undefined && alarms.length > 0 && !failedHook)) {
    if (alarms.length === 0)
      return `an alarm of the deployment group fired${message ? ` (CodeDeploy: ${message})` : ''}`;
    return alarms.map((a) => `alarm "${a.name}" fired${a.reason ? `: ${a.reason}` : ''}`).join('; ');
  }
  if (code === 'HOOK_EXECUTION_FAILURE' || failedHook) {
    const event = failedHook?.name ?? (message && /after/i.test(message) ? 'AfterAllowTraffic' : undefined);
    const phase =
      event === 'AfterAllowTraffic' ? 'post-traffic' : event === 'BeforeAllowTraffic' ? 'pre-traffic' : undefined;
    const label =
      phase === 'post-traffic' ? facts.hooks.after : phase === 'pre-traffic' ? facts.hooks.before : undefined;
    const who = `the ${phase ?? 'lifecycle'} hook${label ? ` (${label})` : ''}`;
    const detail = (failedHook?.message ?? message)?.replace(/\.$/, '');
    return `${who} reported failure or did not report within an hour${detail ? `: ${detail}` : ''}${
      failedHook?.message ? '' : '; its own log (CloudWatch Logs of the hook function) has the details'
    }`;
  }
  if (code === 'MANUAL_STOP' || (deployment.status === 'Stopped' && code === undefined)) {
    return `stopped on request (serverless traffic rollback, the CodeDeploy console or StopDeployment)${message ? `: ${message}` : ''}`;
  }
  if (code || message) return `CodeDeploy error${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  return `CodeDeploy reports the deployment as ${deployment.status} without a reason`;
}

/** Alarms named in CodeDeploy's message; else those in ALARM now; else those seen in ALARM during the rollout. */
function firedAlarms(facts: RolloutFacts, message: string | undefined): AlarmFacts[] {
  const known = new Map([...facts.fired, ...facts.alarms.filter((a) => a.state === 'ALARM')].map((a) => [a.name, a]));
  const named = [...new Set([...facts.alarms, ...facts.fired].map((a) => a.name))]
    .filter((name) => message?.includes(name))
    .map((name) => known.get(name) ?? { name, state: 'ALARM' });
  if (named.length > 0) return named;
  const now = facts.alarms.filter((a) => a.state === 'ALARM');
  return now.length > 0 ? now : facts.fired;
}

/** The final word on a rollout that ended, with the version its alias serves now when that was read. */
export function outcomeLine(view: RolloutView, aliasNow?: string): string {
  switch (view.phase) {
    case 'succeeded':
      return `${view.name}: done, 100% on version ${view.toVersion ?? '(new)'}${view.strategy ? ` (${view.strategy}${view.tookMs !== undefined ? `, ${duration(view.tookMs)}` : ''})` : ''}`;
    case 'rolledBack':
    case 'rollingBack':
    case 'failed':
      return (
        `${view.name}: ${view.phase === 'failed' ? 'rollout failed' : 'rolled back'} (deployment ${view.deploymentId}): ${(view.cause ?? '').replace(/\.$/, '')}. ` +
        (aliasNow
          ? `Alias "${view.alias}" now serves ${aliasNow}.`
          : view.fromVersion
            ? `Alias "${view.alias}" ${view.phase === 'rolledBack' ? 'is back on' : 'goes back to'} version ${view.fromVersion}.`
            : '')
      ).trim();
    default:
      return `${view.name}: ${view.phase}`;
  }
}

/** The text a failed deploy or `traffic watch` ends with. */
export function failureSummary(failures: readonly { view: RolloutView; aliasNow?: string }[], total: number): string {
  const head =
    failures.length === total
      ? `Traffic shift failed for ${failures.length === 1 ? failures[0]?.view.name : `all ${total} functions (${list(failures.map((f) => f.view.name))})`}:`
      : `Traffic shift failed for ${failures.length} of ${total} functions:`;
  return [head, ...failures.map((f) => `  ${outcomeLine(f.view, f.aliasNow)}`)].join('\n');
}
