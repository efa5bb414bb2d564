/**
 * What `sls deploy` gains: a refusal to start while an alias is weighted by hand, a word for every function that will
 * not shift and why, the live view while CloudFormation updates the stack, and the cause of a failed rollout in the
 * deploy's error. Nothing here fails a deploy because something could not be read: it says so and carries on.
 *
 * Lifecycle (serverless 3.x, lib/plugins/aws/deploy): `before:deploy:deploy` checks the aliases;
 * `before:aws:deploy:deploy:updateStack` starts the view in the background (the framework's own hook for
 * `aws:deploy:deploy:updateStack` then updates and monitors the stack); `after:aws:deploy:deploy:updateStack` ends it
 * after a successful update; the `error` hook ends it after a failed one and puts the cause in front of the error.
 * `after:deploy:function:deploy` and `after:rollback:function:rollback` say what those commands did not change.
 */
import { deploymentsInProgress, describeAliases, errorText, listStackResources, mapLimit, readAlias } from './aws';
import { describeAlias, handWeightRefusal, isWeighted, type AliasState } from './alias-weights';
import { discoverTargets, type ServiceFunction, type StackResource } from './stack-discovery';
import { ServerlessError } from '../errors';
import type { TrafficContext } from './context';
import { failureSummary } from './rollout-model';
import { expectShifts } from './shift-prediction';
import { chooseSink, LINE_PREFIX } from './live-view';
import { RolloutWatcher } from './rollout-watcher';
import { removedResources, takeOverDeployedAliases, takeoverLines } from './alias-takeover';

/** What one deploy remembers between its hooks. */
interface DeploySession {
  /** The stack's resources before the update; undefined when it did not exist (or could not be read: `readFailed`). */
  before?: StackResource[];
  checked: boolean;
  readFailed: boolean;
  watcher?: RolloutWatcher;
  watchedCount: number;
}

const AFTER_SUCCESS_TIMEOUT_MS = 30000;
const AFTER_FAILURE_TIMEOUT_MS = 90000;

export function deployHooks(context: () => TrafficContext): Record<string, (error?: unknown) => Promise<void>> {
  const session: DeploySession = { checked: false, readFailed: false, watchedCount: 0 };
  return {
    'before:deploy:deploy': async () => {
      await refuseHandWeights(context(), session);
      takeOverAliases(context(), session);
    },
    'before:aws:deploy:deploy:updateStack': () => startView(context(), session),
    'after:aws:deploy:deploy:updateStack': () => finishView(context(), session),
    // Runs for any failed command: only a deploy that started the view has something to add.
    error: async (error) => (session.watcher ? explainFailure(context(), session, error) : undefined),
    'after:deploy:function:deploy': () => explainFunctionDeploy(context(), 'deploy function'),
    'after:rollback:function:rollback': () => explainFunctionDeploy(context(), 'rollback function'),
  };
}

/**
 * `serverless deploy function` updates the function's $LATEST (its code, or only its configuration with
 * --update-config), and `serverless rollback function` puts an earlier version's code there; neither publishes a
 * version, so the alias that every event source of a shifted function calls keeps serving what it served: say so,
 * with the version, so nobody takes the change for live, and say what would move the traffic. One GetAlias; when it
 * cannot be read, the message goes without the version.
 */
export async function explainFunctionDeploy(
  ctx: TrafficContext,
  command: 'deploy function' | 'rollback function',
): Promise<void> {
  let fn: ServiceFunction | undefined;
  try {
    fn = ctx.functions().find((f) => f.name === ctx.options.function);
  } catch (error) {
    // The function is deployed by now: a setting this plugin rejects is reported by the next package or deploy.
    warn(
      ctx,
      `could not read deploymentSettings (${errorText(error)}); if ${String(ctx.options.function)} is shifted, its alias still serves the version it served before.`,
    );
    return;
  }
  if (!fn) return;
  let serving = 'the version it served before';
  try {
    const state = await readAlias(ctx.clients.lambda, fn.deployedName, fn.alias);
    if (state) serving = describeAlias(state);
  } catch {
    // The message holds without the version.
  }
  const how = fn.inPlace
    ? 'and move its alias to it'
    : `and shift traffic to it (${fn.strategy}, watched by its alarms and hooks)`;
  const target = ctx.options.functionVersion;
  const next =
    command === 'rollback function' && target !== undefined
      ? `To move its traffic to version ${target} by hand: "serverless traffic shift --function ${fn.name} --to-version ${target} --weight 10${ctx.cliSuffix}", ` +
        `then "serverless traffic promote --function ${fn.name}${ctx.cliSuffix}".`
      : `Run "serverless deploy${ctx.cliSuffix}" to publish a version ${how}.`;
  warn(
    ctx,
    `"${command}" changed ${fn.name} at $LATEST only. Its event sources call alias "${fn.alias}", which still serves ${serving}: its traffic has not changed. ${next}`,
  );
}

const warn = (ctx: TrafficContext, message: string): void => ctx.logger.warning(`serverless-traffic-shift: ${message}`);

/**
 * Requests: ListStackResources (one per 100 resources), GetAlias per managed function (8 in flight; Lambda has no batch
 * read), and only when an alias is weighted, ListDeployments + BatchGetDeployments to tell a rollout from a hand weight.
 */
export async function refuseHandWeights(ctx: TrafficContext, session: DeploySession): Promise<void> {
  try {
    session.before = await listStackResources(ctx.clients.cloudFormation, ctx.stackName);
    session.checked = true;
    if (!session.before) return;
    // Every managed alias, also one the stack does not list: a missing alias simply reads as absent.
    const targets = discoverTargets(ctx.functions(), session.before);
    const states = await mapLimit(targets, 8, (t) => readAlias(ctx.clients.lambda, t.functionName, t.alias));
    const weighted = targets.flatMap((t, i) =>
      states[i] && isWeighted(states[i] as AliasState) ? [{ target: t, state: states[i] as AliasState }] : [],
    );
    if (weighted.length === 0) return;
    const application = weighted.find((w) => w.target.applicationName)?.target.applicationName;
    const groups = weighted.flatMap((w) => (w.target.deploymentGroupName ? [w.target.deploymentGroupName] : []));
    const running = application ? await deploymentsInProgress(ctx.clients.codeDeploy, application, groups) : new Map();
    // A weight CodeDeploy is shifting is not a hand weight: CloudFormation will refuse the concurrent update itself.
    const byHand = weighted.filter((w) => !w.target.deploymentGroupName || !running.has(w.target.deploymentGroupName));
    if (byHand.length > 0) {
      throw new ServerlessError(
        handWeightRefusal(
          byHand.map((w) => ({ name: w.target.name, state: w.state })),
          ctx.cliSuffix,
        ),
        'TRAFFIC_SHIFT_MANUAL_WEIGHT',
      );
    }
  } catch (error) {
    // The refusal stops the deploy; credentials that cannot be had are one more thing that could not be read.
    if (error instanceof ServerlessError && error.code !== 'TRAFFIC_SHIFT_AWS_CREDENTIALS') throw error;
    session.readFailed = true;
    warn(
      ctx,
      `could not check the aliases before deploying (${errorText(error)}); deploying anyway, without taking over an alias ` +
        "the stack holds under another logical id (such as serverless-plugin-canary-deployments' <Fn>Alias<alias>): if there is one, the update fails.",
    );
  }
}

/**
 * Once the stack is read, before the framework checks for changes and uploads the template: each alias keeps the
 * logical id the deployed stack gives an alias of its name (alias-takeover.ts), and the deploy says which it keeps
 * and what the update removes. The template is the framework's object, changed in place: it uploads that one.
 */
export function takeOverAliases(ctx: TrafficContext, session: DeploySession): void {
  const template = ctx.template();
  if (!template) return;
  if (!session.before) return;
  const { template: next, kept } = takeOverDeployedAliases(template, ctx.functions(), session.before);
  if (next !== template) Object.assign(template, next);
  const removed = removedResources(session.before, template) ?? [];
  const { notices, info } = takeoverLines(kept, removed);
  for (const line of notices) ctx.logger.notice(`${LINE_PREFIX}${line}`);
  for (const line of info) ctx.logger.info(`${LINE_PREFIX}${line}`);
}

export async function startView(ctx: TrafficContext, session: DeploySession): Promise<void> {
  if (ctx.deploySkipped()) {
    ctx.logger.notice(
      `${LINE_PREFIX}nothing shifts: code and configuration are unchanged since the last deploy, so the framework skips the stack update.`,
    );
    return;
  }
  try {
    const template = ctx.template();
    if (!template) return;
    const functions = ctx.functions();
    if (functions.length === 0) return;
    const stackIsNew = session.checked && session.before === undefined;
    // The stack exists now (the framework creates an empty one for a first deploy): read what it holds.
    const resources = session.before ?? (await listStackResources(ctx.clients.cloudFormation, ctx.stackName)) ?? [];
    const expectations = expectShifts(template, functions, stackIsNew ? undefined : resources);
    for (const e of expectations)
      if (!e.shifts) ctx.logger.notice(`${LINE_PREFIX}${e.name}: nothing shifts: ${e.reason}.`);
    const shifting = new Set(expectations.filter((e) => e.shifts).map((e) => e.name));
    if (shifting.size === 0) return;
    const targets = discoverTargets(functions, resources).filter((t) => shifting.has(t.name));
    const watched = targets.flatMap((t) =>
      t.applicationName && t.deploymentGroupName
        ? [
            {
              name: t.name,
              alias: t.alias,
              applicationName: t.applicationName,
              groupName: t.deploymentGroupName,
              hooks: t.hooks,
              functionName: t.functionName,
            },
          ]
        : [],
    );
    for (const t of targets) {
      if (!t.deploymentGroupName) {
        ctx.logger.notice(
          `${LINE_PREFIX}${t.name}: shifts through a deployment group this deploy creates; its progress shows from the next deploy on.`,
        );
      }
    }
    if (watched.length === 0) return;
    ctx.logger.notice(`${LINE_PREFIX}following the rollout of ${watched.map((w) => w.name).join(', ')} (CodeDeploy)`);
    session.watchedCount = watched.length;
    session.watcher = new RolloutWatcher({
      codeDeploy: ctx.clients.codeDeploy,
      cloudWatch: ctx.clients.cloudWatch,
      functions: watched,
      since: ctx.clock.now(),
      sink: chooseSink(ctx.progress, (line) => ctx.logger.notice(line), ctx.interactive),
      warn: (message) => warn(ctx, message),
      clock: ctx.clock,
    });
    session.watcher.start();
  } catch (error) {
    warn(ctx, `the rollout view could not start (${errorText(error)}); the deploy carries on without it.`);
  }
}

export async function finishView(ctx: TrafficContext, session: DeploySession): Promise<void> {
  const watcher = session.watcher;
  session.watcher = undefined;
  if (!watcher) {
    if (ctx.changeSetEmpty())
      ctx.logger.notice(`${LINE_PREFIX}nothing shifts: CloudFormation found no change to apply.`);
    return;
  }
  try {
    const views = await watcher.finish({ timeoutMs: AFTER_SUCCESS_TIMEOUT_MS });
    for (const view of views) {
      if (view.phase === 'waiting') {
        ctx.logger.notice(
          `${LINE_PREFIX}${view.name}: no CodeDeploy deployment was seen: CloudFormation did not move its alias in this update.`,
        );
      }
    }
    const failed = views.filter((v) => v.failed);
    if (failed.length > 0)
      warn(
        ctx,
        failureSummary(
          failed.map((view) => ({ view })),
          views.length,
        ),
      );
  } catch (error) {
    warn(ctx, `the rollout view ended with an error (${errorText(error)}).`);
  }
}

/** After a failed stack update: the cause of each failed rollout, in front of CloudFormation's error. */
export async function explainFailure(ctx: TrafficContext, session: DeploySession, error: unknown): Promise<void> {
  const watcher = session.watcher;
  session.watcher = undefined;
  if (!watcher) return;
  try {
    const views = await watcher.finish({ timeoutMs: AFTER_FAILURE_TIMEOUT_MS });
    const failed = views.filter((v) => v.failed);
    if (failed.length === 0) return;
    const targets = discoverTargets(ctx.functions(), session.before ?? []).filter((t) =>
      failed.some((v) => v.name === t.name),
    );
    const aliases = await describeAliases(ctx.clients.lambda, targets);
    const summary = failureSummary(
      failed.map((view) => ({ view, ...(aliases.has(view.name) && { aliasNow: aliases.get(view.name) }) })),
      session.watchedCount,
    );
    prependToError(error, summary);
  } catch (e) {
    warn(ctx, `could not tell why the rollout failed (${errorText(e)}).`);
  }
}

/**
 * v3 prints `decoratedMessage` when there is one, else `message` (lib/cli/handle-error.js); v4 prints `error.stack`,
 * whose first line is `<name>: <message>`: each gets the cause in front.
 */
export function prependToError(error: unknown, text: string): void {
  if (!error || typeof error !== 'object') return;
  const e = error as { name?: unknown; message?: unknown; decoratedMessage?: unknown; stack?: unknown };
  // Read first: V8 writes the stack's first line from the message when the stack is first read.
  const stack = e.stack;
  const original = e.message;
  if (typeof e.message === 'string') e.message = `${text}\n\nCloudFormation: ${e.message}`;
  if (typeof e.decoratedMessage === 'string') e.decoratedMessage = `${text}\n\nCloudFormation: ${e.decoratedMessage}`;
  if (typeof stack === 'string') {
    const name = String(e.name ?? 'Error');
    const head = typeof original === 'string' ? `${name}: ${original}` : undefined;
    e.stack =
      head !== undefined && stack.startsWith(head)
        ? `${name}: ${String(e.message)}${stack.slice(head.length)}`
        : `${text}\n\nCloudFormation: ${stack}`;
  }
}
