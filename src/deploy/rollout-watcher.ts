/**
 * The poller behind the live view (`sls deploy`, `serverless traffic watch`): finds the CodeDeploy deployments of the
 * watched deployment groups, reads their progress, and hands views to a sink. It never throws: whatever it cannot
 * read it reports as a warning and carries on, and when AWS throttles it, it reads less often.
 *
 * AWS requests per poll, whatever the number of functions n:
 *   - CodeDeploy ListDeployments: 1 (the whole account and region, created since the watch began; one more per page);
 *   - CodeDeploy BatchGetDeployments: ceil(d / 25), d = deployments not seen yet or not finished (0 when none);
 *   - CloudWatch DescribeAlarms: ceil(a / 100), a = alarm names of the groups whose rollout runs (0 when none);
 *   - CodeDeploy ListDeploymentTargets + BatchGetDeploymentTargets: at most `targetCallsPerPoll` (4) in total, shared
 *     by the rollouts (finished ones first, for their cause; then the least recently read). Between two reads of a
 *     rollout, its traffic share follows the deployment configuration's schedule.
 * Once per deployment group, in the poll that first sees its deployment: BatchGetDeploymentGroups (ceil(g / 25)) for
 * its alarm names. Once per custom deployment configuration: GetDeploymentConfig.
 * With 50 functions shifting at once and up to 100 alarm names: 1 + 2 + 1 + 4 = 8 requests per poll.
 * Once a minute, and once more when a rollout ends, both versions' figures of the rollouts whose versions are known:
 * CloudWatch GetMetricData, ceil(r / 62) (8 queries a rollout, 500 a request).
 */
import { systemClock, type Clock } from './clock';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { Strategy } from '../config/strategy';
import {
  describeAlarms,
  errorText,
  getDeployments,
  getGroups,
  getStrategy,
  getTarget,
  listDeploymentIds,
  listTargetIds,
  readVersionHealth,
} from './aws';
import { isThrottling } from './aws-errors';
import { duration } from './format';
import type { HealthWindow } from './version-health';
import {
  isFinished,
  isRollbackDeployment,
  rolloutView,
  type DeploymentFacts,
  type HookLabels,
  type RolloutFacts,
  type RolloutView,
} from './rollout-model';

/** Where views go: redrawn progress lines, or plain lines in CI. */
export interface ProgressSink {
  update(views: readonly RolloutView[], now: Date): void;
  /** The rollouts ended (or the watch stopped): remove redrawn lines, print what is final. */
  close(views: readonly RolloutView[], now: Date): void;
}

export interface WatchedFunction {
  name: string;
  alias: string;
  applicationName: string;
  groupName: string;
  hooks: HookLabels;
  /** The Lambda function's physical name, for its metrics (else the name CodeDeploy gives the target). */
  functionName?: string;
}

export interface WatcherOptions {
  codeDeploy: CodeDeployClient;
  cloudWatch: CloudWatchClient;
  functions: readonly WatchedFunction[];
  /** When the watch began: deployments created before it (and already finished at the first poll) are history. */
  since: Date;
  /** Deployments to follow from the first poll, e.g. those in progress when `traffic watch` starts. */
  seedIds?: readonly string[];
  sink: ProgressSink;
  warn(message: string): void;
  clock?: Clock;
  intervalMs?: number;
  maxIntervalMs?: number;
  targetCallsPerPoll?: number;
}

export const DEFAULT_INTERVAL_MS = 5000;
export const MAX_INTERVAL_MS = 60000;
export const TARGET_CALLS_PER_POLL = 4;
/** Lambda's metrics come per minute: the versions' figures are read no more often. */
export const HEALTH_INTERVAL_MS = 60000;
/** Deployments are listed from this long before the watch began: the local clock may be behind AWS's. */
const CLOCK_SKEW_MS = 5 * 60000;
/** Successful polls before a throttled interval is halved again. */
const RECOVERY_POLLS = 3;

class Throttled extends Error {}

export class RolloutWatcher {
  private readonly clock: Clock;
  private readonly baseInterval: number;
  private readonly maxInterval: number;
  private readonly targetBudget: number;
  private interval: number;
  private goodPolls = 0;
  private firstPoll = true;
  private readonly facts = new Map<string, RolloutFacts>();
  private readonly byGroup = new Map<string, WatchedFunction>();
  private readonly functionNames = new Map<string, string>();
  private readonly known = new Map<string, DeploymentFacts>();
  private readonly ignored = new Set<string>();
  private readonly follow: Set<string>;
  private readonly seeds: Set<string>;
  private readonly groupAlarms = new Map<string, string[]>();
  private readonly strategies = new Map<string, Strategy | null>();
  private readonly targetIds = new Map<string, string | null>();
  private readonly lastTargetRead = new Map<string, number>();
  private readonly finalTargetRead = new Set<string>();
  private readonly finalAlarmRead = new Set<string>();
  private readonly finalHealthRead = new Set<string>();
  private lastHealthRead?: number;
  private readonly warned = new Set<string>();
  private stopper?: AbortController;
  private loop?: Promise<void>;

  constructor(private readonly options: WatcherOptions) {
    this.clock = options.clock ?? systemClock;
    this.baseInterval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.maxInterval = Math.max(this.baseInterval, options.maxIntervalMs ?? MAX_INTERVAL_MS);
    this.targetBudget = options.targetCallsPerPoll ?? TARGET_CALLS_PER_POLL;
    this.interval = this.baseInterval;
    this.seeds = new Set(options.seedIds ?? []);
    this.follow = new Set(this.seeds);
    for (const fn of options.functions) {
      if (fn.functionName) this.functionNames.set(fn.name, fn.functionName);
      this.byGroup.set(groupKey(fn.applicationName, fn.groupName), fn);
      this.facts.set(fn.name, { name: fn.name, alias: fn.alias, alarms: [], fired: [], hooks: fn.hooks });
    }
  }

  /** The current poll interval, in milliseconds (longer while AWS throttles). */
  get intervalMs(): number {
    return this.interval;
  }

  views(now = this.clock.now()): RolloutView[] {
    return [...this.facts.values()].map((f) => rolloutView(f, now));
  }

  /** True when a deployment of this function was seen. */
  hasDeployment(name: string): boolean {
    return this.facts.get(name)?.deployment !== undefined;
  }

  /** Whether some deployment is followed (after the first poll of `traffic watch`: whether anything is in progress). */
  get followsAnything(): boolean {
    return [...this.facts.values()].some((f) => f.deployment !== undefined);
  }

  /** Every followed rollout ended, and its last state was read. */
  settled(): boolean {
    return [...this.facts.values()].every((f) => {
      const d = f.deployment;
      if (!d) return true;
      if (!isFinished(d.status)) return false;
      if (f.rollback && !isFinished(f.rollback.status)) return false;
      // A success needs no last read once its versions are known; a failure does, for its cause.
      const succeeded = d.status === 'Succeeded';
      const targetDone =
        this.finalTargetRead.has(d.id) || this.targetIds.get(d.id) === null || (succeeded && f.target !== undefined);
      const alarmsDone =
        succeeded || this.finalAlarmRead.has(d.id) || (this.groupAlarms.get(d.groupName ?? '')?.length ?? 0) === 0;
      return targetDone && alarmsDone;
    });
  }

  /** One poll; never throws. */
  async poll(): Promise<void> {
    const now = this.clock.now();
    try {
      await this.readDeployments();
      await this.readGroups();
      await this.readStrategies();
      await this.readTargets(now);
      await this.readAlarms();
      await this.readHealth(now);
      this.goodPolls += 1;
      if (this.interval > this.baseInterval && this.goodPolls >= RECOVERY_POLLS) {
        this.interval = Math.max(this.baseInterval, Math.round(this.interval / 2));
        this.goodPolls = 0;
      }
    } catch (error) {
      if (error instanceof Throttled) {
        this.goodPolls = 0;
        const before = this.interval;
        this.interval = Math.min(this.maxInterval, this.interval * 2);
        if (this.interval !== before) {
          this.options.warn(
            `AWS is throttling the progress view (${error.message}); reading every ${duration(this.interval)} now.`,
          );
        }
      } else {
        this.warnOnce('unexpected', `The progress view hit an unexpected error (${errorText(error)}); it carries on.`);
      }
    }
    this.firstPoll = false;
    // The view is reckoned at the end of the poll, after every read: a weight read late in the poll must not be
    // shown against the schedule step of the poll's start (it would show the next step's share at this step).
    const shown = this.clock.now();
    try {
      this.options.sink.update(this.views(shown), shown);
    } catch (error) {
      this.warnOnce('sink', `The progress view could not be drawn (${errorText(error)}); it carries on.`);
    }
  }

  /** Polls in the background until `finish`. */
  start(): void {
    if (this.loop) return;
    const stopper = new AbortController();
    this.stopper = stopper;
    this.loop = (async () => {
      while (!stopper.signal.aborted) {
        await this.poll();
        if (stopper.signal.aborted) break;
        await this.clock.sleep(this.interval, stopper.signal);
      }
    })();
  }

  /** Stops the background polls, then polls until every rollout ended and was read, or `timeoutMs` passed. */
  async finish({ timeoutMs = 30000 }: { timeoutMs?: number } = {}): Promise<RolloutView[]> {
    this.stopper?.abort();
    const deadline = this.clock.now().getTime() + timeoutMs;
    // The poll in flight ends (its requests time out at worst) before the last ones.
    await this.loop;
    this.loop = undefined;
    for (;;) {
      await this.poll();
      const left = deadline - this.clock.now().getTime();
      if (this.settled() || left <= 0) break;
      await this.clock.sleep(Math.min(this.interval, left));
    }
    const now = this.clock.now();
    const views = this.views(now);
    this.options.sink.close(views, now);
    return views;
  }

  /** Polls until every followed rollout ended (for `traffic watch`). */
  async runUntilSettled(): Promise<RolloutView[]> {
    for (;;) {
      await this.poll();
      if (this.settled()) break;
      await this.clock.sleep(this.interval);
    }
    const now = this.clock.now();
    const views = this.views(now);
    this.options.sink.close(views, now);
    return views;
  }

  private async readDeployments(): Promise<void> {
    const since = new Date(this.options.since.getTime() - CLOCK_SKEW_MS);
    const listed =
      (await this.attempt('list', 'list the CodeDeploy deployments', () =>
        listDeploymentIds(this.options.codeDeploy, { since }),
      )) ?? [];
    const wanted = new Set<string>();
    for (const id of [...this.follow, ...listed]) if (!this.ignored.has(id) && !this.known.has(id)) wanted.add(id);
    for (const d of this.known.values()) if (!isFinished(d.status)) wanted.add(d.id);
    if (wanted.size === 0) return;
    const ids = [...wanted];
    const result = await this.attempt('deployments', `read CodeDeploy deployments ${abbreviate(ids)}`, () =>
      getDeployments(this.options.codeDeploy, ids),
    );
    if (!result) return;
    for (const id of result.missing) {
      if (this.known.has(id) || this.follow.has(id))
        this.warnOnce(`missing:${id}`, `CodeDeploy did not return deployment ${id}; the view carries on without it.`);
      else this.ignored.add(id);
    }
    for (const d of result.found) this.classify(d);
  }

  private classify(d: DeploymentFacts): void {
    const fn =
      d.applicationName && d.groupName ? this.byGroup.get(groupKey(d.applicationName, d.groupName)) : undefined;
    const followed = this.follow.has(d.id) || this.known.has(d.id);
    // Another stack's deployment, or one that had ended before the watch began.
    if (!fn || (this.firstPoll && !followed && isFinished(d.status))) {
      this.ignored.add(d.id);
      return;
    }
    this.known.set(d.id, d);
    const facts = this.facts.get(fn.name) as RolloutFacts;
    const main = facts.deployment;
    const isRollback = isRollbackDeployment(d) || main?.rollbackInfo?.rollbackDeploymentId === d.id;
    if (isRollback && main && main.id !== d.id) {
      facts.rollback = d;
    } else if (!main || main.id === d.id || (d.createTime?.getTime() ?? 0) > (main.createTime?.getTime() ?? 0)) {
      if (main && main.id !== d.id) {
        // A later deployment of the same group replaces the one shown.
        delete facts.target;
        delete facts.rollback;
        delete facts.health;
        facts.fired = [];
      }
      facts.deployment = d;
    }
    const rollbackId = d.rollbackInfo?.rollbackDeploymentId;
    if (rollbackId && !this.known.has(rollbackId)) this.follow.add(rollbackId);
  }

  private async readGroups(): Promise<void> {
    const unread = new Map<string, string[]>();
    for (const fn of this.byGroup.values()) {
      if (this.groupAlarms.has(fn.groupName) || !this.facts.get(fn.name)?.deployment) continue;
      unread.set(fn.applicationName, [...(unread.get(fn.applicationName) ?? []), fn.groupName]);
    }
    for (const [application, names] of unread) {
      const groups = await this.attempt('groups', 'read the deployment groups (for their alarms)', () =>
        getGroups(this.options.codeDeploy, application, names),
      );
      // Unreadable groups count as read without alarms, so they are not asked for again each poll.
      for (const name of names) this.groupAlarms.set(name, groups?.find((g) => g.name === name)?.alarms ?? []);
    }
  }

  private async readStrategies(): Promise<void> {
    for (const facts of this.facts.values()) {
      const name = facts.deployment?.configName;
      if (!name) continue;
      if (!this.strategies.has(name)) {
        const strategy = await this.attempt(`config:${name}`, `read deployment configuration ${name}`, () =>
          getStrategy(this.options.codeDeploy, name),
        );
        this.strategies.set(name, strategy ?? null);
      }
      const strategy = this.strategies.get(name);
      if (strategy) facts.strategy = strategy;
    }
  }

  private async readTargets(now: Date): Promise<void> {
    const rank = (d: DeploymentFacts): number => {
      if (isFinished(d.status)) return d.status === 'Succeeded' ? 1 : 0;
      return this.lastTargetRead.has(d.id) ? 3 : 2;
    };
    const candidates = [...this.facts.values()]
      .flatMap((f) => (f.deployment ? [{ facts: f, d: f.deployment }] : []))
      .filter(
        ({ d }) =>
          !['Created', 'Queued'].includes(d.status) &&
          !this.finalTargetRead.has(d.id) &&
          this.targetIds.get(d.id) !== null,
      )
      .sort(
        (a, b) =>
          rank(a.d) - rank(b.d) || (this.lastTargetRead.get(a.d.id) ?? 0) - (this.lastTargetRead.get(b.d.id) ?? 0),
      );
    let budget = this.targetBudget;
    for (const { facts, d } of candidates) {
      const cost = this.targetIds.has(d.id) ? 1 : 2;
      if (cost > budget) continue;
      budget -= cost;
      let targetId = this.targetIds.get(d.id);
      if (targetId === undefined) {
        const ids = await this.attempt(`target:${d.id}`, `read the traffic of ${facts.name} (deployment ${d.id})`, () =>
          listTargetIds(this.options.codeDeploy, d.id),
        );
        if (ids === undefined) continue;
        targetId = ids[0] ?? null;
        this.targetIds.set(d.id, targetId);
        if (targetId === null) {
          this.warnOnce(
            `target:${d.id}`,
            `CodeDeploy lists no target for ${facts.name}'s deployment ${d.id}; showing its status only.`,
          );
          continue;
        }
      }
      const id = targetId as string;
      const finished = isFinished(d.status);
      const target = await this.attempt(
        `target:${d.id}`,
        `read the traffic of ${facts.name} (deployment ${d.id})`,
        () => getTarget(this.options.codeDeploy, d.id, id, now),
      );
      this.lastTargetRead.set(d.id, now.getTime());
      if (target === undefined) {
        // Unreadable: do not hold the end of the watch for it.
        if (finished) this.finalTargetRead.add(d.id);
        continue;
      }
      facts.target = target;
      if (finished) this.finalTargetRead.add(d.id);
    }
  }

  private async readAlarms(): Promise<void> {
    const reading: RolloutFacts[] = [];
    const names = new Set<string>();
    for (const facts of this.facts.values()) {
      const d = facts.deployment;
      if (!d || this.finalAlarmRead.has(d.id)) continue;
      const alarms = this.groupAlarms.get(d.groupName ?? '') ?? [];
      if (alarms.length === 0) continue;
      reading.push(facts);
      for (const name of alarms) names.add(name);
    }
    if (names.size === 0) return;
    const alarms = await this.attempt('alarms', 'read the alarms', () =>
      describeAlarms(this.options.cloudWatch, [...names]),
    );
    for (const facts of reading) {
      const d = facts.deployment as DeploymentFacts;
      if (isFinished(d.status)) this.finalAlarmRead.add(d.id);
      if (!alarms) continue;
      const mine = new Set(this.groupAlarms.get(d.groupName ?? '') ?? []);
      facts.alarms = alarms.filter((a) => mine.has(a.name));
      for (const alarm of facts.alarms) {
        if (alarm.state !== 'ALARM') continue;
        facts.fired = [...facts.fired.filter((a) => a.name !== alarm.name), alarm];
      }
    }
  }

  /**
   * Both versions' figures: of the running rollouts once a minute, of an ended one once more over its whole rollout.
   * Unreadable figures do not hold the end of the watch.
   */
  private async readHealth(now: Date): Promise<void> {
    const due = this.lastHealthRead === undefined || now.getTime() - this.lastHealthRead >= HEALTH_INTERVAL_MS;
    const reading: { facts: RolloutFacts; window: HealthWindow; final: boolean }[] = [];
    for (const facts of this.facts.values()) {
      const d = facts.deployment;
      if (!d || this.finalHealthRead.has(d.id)) continue;
      const window = healthWindow(facts, this.functionNameOf(facts), now);
      const final = isFinished(d.status);
      if (window && (due || final)) reading.push({ facts, window, final });
    }
    if (reading.length === 0) return;
    const health = await this.attempt('metrics', "read the versions' figures (CloudWatch GetMetricData)", () =>
      readVersionHealth(
        this.options.cloudWatch,
        reading.map((r) => r.window),
        now,
      ),
    );
    if (due) this.lastHealthRead = now.getTime();
    for (const { facts, window, final } of reading) {
      if (final) this.finalHealthRead.add(window.key);
      const figures = health?.get(window.key);
      if (figures) facts.health = figures;
    }
  }

  private functionNameOf(facts: RolloutFacts): string | undefined {
    return facts.target?.functionName ?? this.functionNames.get(facts.name);
  }

  /** Runs one AWS read: throttling aborts the poll; any other error is reported once per kind and yields undefined. */
  private async attempt<T>(kind: string, what: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      if (isThrottling(error)) throw new Throttled(errorText(error));
      this.warnOnce(
        `${kind}:${errorText(error)}`,
        `Could not ${what}: ${errorText(error)}. The view carries on without it.`,
      );
      return undefined;
    }
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.warn(message);
  }
}

const groupKey = (application: string, group: string): string => `${application}\u0000${group}`;

/** What to read of a rollout's versions: from its start to its end (or now), once both versions are known. */
function healthWindow(facts: RolloutFacts, functionName: string | undefined, now: Date): HealthWindow | undefined {
  const d = facts.deployment;
  const target = facts.target;
  const from = d?.startTime ?? d?.createTime;
  if (!d || !from || !functionName || !target?.targetVersion || !target.currentVersion) return undefined;
  const to = isFinished(d.status) && d.completeTime ? d.completeTime : now;
  if (target.targetVersion === target.currentVersion || to <= from) return undefined;
  return {
    key: d.id,
    functionName,
    alias: facts.alias,
    newVersion: target.targetVersion,
    previousVersion: target.currentVersion,
    from,
    to,
  };
}

function abbreviate(ids: readonly string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
}
