/**
 * `serverless traffic status | watch | rollback | shift | promote`: thin orchestration of the reads and writes in
 * ./aws.ts, with every decision in the pure modules (alias.ts, status.ts, model.ts).
 */
import type { Strategy } from '../config/strategy';
import {
  ALIAS_READS_IN_FLIGHT,
  deploymentsInProgress,
  describeAliases,
  stopDeployment,
  getDeployments,
  getGroups,
  getStrategy,
  listDeploymentIds,
  listStackResources,
  mapLimit,
  publishedVersions,
  readAlias,
  updateAlias,
  errorText,
} from './aws';
import {
  describeAlias,
  latestPublished,
  parseWeight,
  planClearWeight,
  planPromote,
  planShift,
  type AliasState,
} from './alias-weights';
import { discoverTargets, selectTargets, type RolloutTarget, type ServiceFunction } from './stack-discovery';
import { userError } from './aws-errors';
import { ServerlessError } from '../errors';
import type { TrafficContext } from './context';
import {
  failureSummary,
  isFinished,
  isRollbackDeployment,
  UNFINISHED_STATUSES,
  type DeploymentFacts,
} from './rollout-model';
import { chooseSink } from './live-view';
import { renderStatus, statusJson, type FunctionStatus } from './status-text';
import { addVersionHealth } from './status-health';
import { RolloutWatcher } from './rollout-watcher';

/** How long `rollback` waits to confirm that CodeDeploy stopped and rolled back. */
const CONFIRM_TIMEOUT_MS = 120000;
const CONFIRM_POLL_MS = 3000;

/**
 * A traffic command as the framework runs it: AWS failures become one or two lines naming the operation, stack and
 * region (aws-errors.ts); with --json, standard output holds JSON only, `{ "error": { "code", "message" } }` on a
 * failure (the framework would print its error text there), and the command exits with 1.
 */
export async function runCommand(ctx: TrafficContext, command: (ctx: TrafficContext) => Promise<void>): Promise<void> {
  try {
    await command(ctx);
  } catch (error) {
    const failure = userError(error, ctx, ctx.options.debug === true);
    if (!ctx.options.json || !(failure instanceof ServerlessError)) throw failure;
    ctx.logger.error(failure.message);
    ctx.logger.writeText(JSON.stringify({ error: { code: failure.code, message: failure.message } }, null, 2));
    process.exitCode = 1;
  }
}

/** The functions the command acts on (all, or --function's), from the settings: checked before any AWS call. */
function chosenFunctions(ctx: TrafficContext): ServiceFunction[] {
  return selectTargets(ctx.functions(), ctx.options.function);
}

/** The chosen functions as deployed. */
export async function loadTargets(ctx: TrafficContext): Promise<RolloutTarget[]> {
  const functions = chosenFunctions(ctx);
  const resources = await listStackResources(ctx.clients.cloudFormation, ctx.stackName);
  if (!resources) {
    throw new ServerlessError(
      `Stack ${ctx.stackName} does not exist in ${ctx.region}: nothing is deployed for stage "${ctx.stage}" yet (sls deploy${ctx.cliSuffix}).`,
      'TRAFFIC_SHIFT_NOT_DEPLOYED',
    );
  }
  return discoverTargets(functions, resources);
}

const grouped = (
  targets: readonly RolloutTarget[],
): (RolloutTarget & { applicationName: string; deploymentGroupName: string })[] =>
  targets.filter((t): t is RolloutTarget & { applicationName: string; deploymentGroupName: string } =>
    Boolean(t.applicationName && t.deploymentGroupName),
  );

export async function statusCommand(ctx: TrafficContext): Promise<void> {
  const { codeDeploy, lambda } = ctx.clients;
  const targets = await loadTargets(ctx);
  const unreadable = new Map<string, string>();
  const aliases = await mapLimit(targets, ALIAS_READS_IN_FLIGHT, (t) =>
    readAlias(lambda, t.functionName, t.alias).catch((error: unknown) => {
      unreadable.set(t.name, `alias: ${errorText(error)}`);
      return undefined;
    }),
  );
  const withGroups = grouped(targets);
  const last = new Map<string, DeploymentFacts>();
  const running = new Map<string, DeploymentFacts>();
  const rollbacks = new Map<string, DeploymentFacts>();
  const strategies = new Map<string, Strategy | undefined>();
  const application = withGroups[0]?.applicationName;
  if (application) {
    try {
      const groups = await getGroups(
        codeDeploy,
        application,
        withGroups.map((t) => t.deploymentGroupName),
      );
      const inProgressIds = await listDeploymentIds(codeDeploy, { statuses: UNFINISHED_STATUSES });
      const lastIds = groups.flatMap((g) => (g.lastAttempted ? [g.lastAttempted.id] : []));
      const { found } = await getDeployments(codeDeploy, [...new Set([...lastIds, ...inProgressIds])]);
      for (const d of found) {
        if (d.applicationName !== application || !d.groupName) continue;
        if (lastIds.includes(d.id)) last.set(d.groupName, d);
        if (!isFinished(d.status)) running.set(d.groupName, d);
      }
      await pairRollbacks(codeDeploy, last, rollbacks);
      for (const name of new Set([...last.values()].flatMap((d) => (d.configName ? [d.configName] : [])))) {
        strategies.set(name, await getStrategy(codeDeploy, name).catch(() => undefined));
      }
    } catch (error) {
      for (const t of withGroups)
        unreadable.set(
          t.name,
          `${unreadable.has(t.name) ? `${unreadable.get(t.name)}; ` : ''}deployments: ${errorText(error)}`,
        );
    }
  }
  const rows: FunctionStatus[] = targets.map((target, i) => {
    const alias = aliases[i];
    const group = target.deploymentGroupName;
    const lastRollout = group ? last.get(group) : undefined;
    const inProgress = group ? running.get(group) : undefined;
    const rollback = group ? rollbacks.get(group) : undefined;
    const problem = unreadable.get(target.name);
    return {
      target,
      ...(alias && { alias }),
      ...(lastRollout && { last: lastRollout }),
      ...(rollback && { rollback }),
      ...(inProgress && { inProgress }),
      strategies,
      ...(problem && { unreadable: problem }),
    };
  });
  await addVersionHealth(ctx.clients, rows, ctx.clock.now());
  ctx.logger.writeText(ctx.options.json ? JSON.stringify(statusJson(ctx, rows), null, 2) : renderStatus(ctx, rows));
}

/**
 * A rollout rolled back and the deployment that undid it, by group. The group's last attempted deployment may be either
 * (CodeDeploy's rollback is a deployment of the same group): the rollout is shown, with its cause and figures, and the
 * rollback beside it. One more BatchGetDeployments, only when a rollback is involved.
 */
async function pairRollbacks(
  codeDeploy: TrafficContext['clients']['codeDeploy'],
  last: Map<string, DeploymentFacts>,
  rollbacks: Map<string, DeploymentFacts>,
): Promise<void> {
  const other = (d: DeploymentFacts): string | undefined =>
    isRollbackDeployment(d) ? d.rollbackInfo?.rollbackTriggeringDeploymentId : d.rollbackInfo?.rollbackDeploymentId;
  const ids = [...last.values()].flatMap((d) => other(d) ?? []);
  if (ids.length === 0) return;
  const { found } = await getDeployments(codeDeploy, ids);
  for (const [group, d] of last) {
    const pair = found.find((f) => f.id === other(d));
    if (!pair) continue;
    if (isRollbackDeployment(d)) {
      last.set(group, pair);
      rollbacks.set(group, d);
    } else rollbacks.set(group, pair);
  }
}

export async function watchCommand(ctx: TrafficContext): Promise<void> {
  const targets = grouped(await loadTargets(ctx));
  const application = targets[0]?.applicationName;
  if (!application) {
    ctx.logger.writeText(
      `No function of this service shifts traffic through CodeDeploy in stage "${ctx.stage}": there is nothing to watch.`,
    );
    return;
  }
  const running = await deploymentsInProgress(
    ctx.clients.codeDeploy,
    application,
    targets.map((t) => t.deploymentGroupName),
  );
  const watched = targets.filter((t) => running.has(t.deploymentGroupName));
  if (watched.length === 0) {
    ctx.logger.writeText(
      `No rollout in progress for ${targets.map((t) => t.name).join(', ')} (stage "${ctx.stage}"). ` +
        `"serverless traffic status${ctx.cliSuffix}" shows the last one.`,
    );
    return;
  }
  ctx.logger.notice(
    `Following ${watched.map((t) => `${t.name} (${running.get(t.deploymentGroupName)?.id})`).join(', ')}; Ctrl-C stops watching, not the rollout.`,
  );
  const watcher = new RolloutWatcher({
    codeDeploy: ctx.clients.codeDeploy,
    cloudWatch: ctx.clients.cloudWatch,
    functions: watched.map((t) => ({
      name: t.name,
      alias: t.alias,
      applicationName: t.applicationName,
      groupName: t.deploymentGroupName,
      hooks: t.hooks,
      functionName: t.functionName,
    })),
    since: ctx.clock.now(),
    seedIds: watched.map((t) => (running.get(t.deploymentGroupName) as DeploymentFacts).id),
    sink: chooseSink(ctx.progress, (line) => ctx.logger.notice(line), ctx.interactive),
    warn: (message) => ctx.logger.warning(`serverless-traffic-shift: ${message}`),
    clock: ctx.clock,
  });
  const views = await watcher.runUntilSettled();
  if (views.every((v) => v.phase === 'waiting')) {
    ctx.logger.writeText('Could not follow the rollouts: CodeDeploy did not answer (see the warnings above).');
    return;
  }
  const failed = views.filter((v) => v.failed);
  if (failed.length > 0) {
    const now = await describeAliases(
      ctx.clients.lambda,
      watched.filter((t) => failed.some((v) => v.name === t.name)),
    );
    throw new ServerlessError(
      failureSummary(
        failed.map((view) => ({ view, ...(now.has(view.name) && { aliasNow: now.get(view.name) }) })),
        views.length,
      ),
      'TRAFFIC_SHIFT_ROLLOUT_FAILED',
    );
  }
}

export async function rollbackCommand(ctx: TrafficContext): Promise<void> {
  const { codeDeploy, lambda } = ctx.clients;
  const targets = await loadTargets(ctx);
  const withGroups = grouped(targets);
  const application = withGroups[0]?.applicationName;
  const running = application
    ? await deploymentsInProgress(
        codeDeploy,
        application,
        withGroups.map((t) => t.deploymentGroupName),
      )
    : new Map<string, DeploymentFacts>();
  const lines: string[] = [];
  const stopped: { target: RolloutTarget; deployment: DeploymentFacts; answer: string }[] = [];
  for (const target of targets) {
    const deployment = target.deploymentGroupName ? running.get(target.deploymentGroupName) : undefined;
    if (deployment) {
      const answer = await stopDeployment(codeDeploy, deployment.id);
      stopped.push({ target, deployment, answer });
      continue;
    }
    const state = await readAlias(lambda, target.functionName, target.alias);
    if (!state) {
      lines.push(`${target.name}: nothing to roll back: alias "${target.alias}" is not deployed.`);
      continue;
    }
    const update = planClearWeight(state);
    if (!update) {
      lines.push(
        `${target.name}: nothing to roll back: no rollout in progress, alias "${target.alias}" serves ${describeAlias(state)}.`,
      );
      continue;
    }
    const after = await updateAlias(lambda, update);
    lines.push(
      `${target.name}: removed the weight set by hand (it was ${describeAlias(state)}): alias "${target.alias}" serves ${describeAlias(after)}.`,
    );
  }
  if (stopped.length > 0) lines.push(...(await confirmStops(ctx, stopped)));
  ctx.logger.writeText(lines.join('\n'));
}

/** Waits until CodeDeploy ended each stopped deployment (and its rollback), then says where each alias is. */
async function confirmStops(
  ctx: TrafficContext,
  stopped: { target: RolloutTarget; deployment: DeploymentFacts; answer: string }[],
): Promise<string[]> {
  const { codeDeploy } = ctx.clients;
  const deadline = ctx.clock.now().getTime() + CONFIRM_TIMEOUT_MS;
  const latest = new Map(stopped.map((s) => [s.deployment.id, s.deployment]));
  const rollbacks = new Map<string, DeploymentFacts>();
  const pending = (): string[] => [
    ...[...latest.values()].filter((d) => !isFinished(d.status)).map((d) => d.id),
    ...[...latest.values()].flatMap((d) => {
      const id = d.rollbackInfo?.rollbackDeploymentId;
      return id && !isFinished(rollbacks.get(id)?.status) ? [id] : [];
    }),
  ];
  while (pending().length > 0 && ctx.clock.now().getTime() < deadline) {
    await ctx.clock.sleep(CONFIRM_POLL_MS);
    const { found } = await getDeployments(codeDeploy, pending()).catch(() => ({ found: [] as DeploymentFacts[] }));
    for (const d of found) (latest.has(d.id) ? latest : rollbacks).set(d.id, d);
  }
  const aliases = await describeAliases(
    ctx.clients.lambda,
    stopped.map((s) => s.target),
  );
  return stopped.map(({ target, deployment, answer }) => {
    const d = latest.get(deployment.id) as DeploymentFacts;
    const rollbackId = d.rollbackInfo?.rollbackDeploymentId;
    const rollback = rollbackId ? rollbacks.get(rollbackId) : undefined;
    const parts = [
      `${target.name}: stopped rollout ${d.id} (CodeDeploy answered ${answer || 'nothing'}); it is ${d.status}`,
    ];
    if (rollbackId) parts.push(`CodeDeploy's rollback ${rollbackId} is ${rollback?.status ?? 'starting'}`);
    else if (isFinished(d.status)) parts.push('no rollback deployment was needed');
    else
      parts.push(
        `still not ended after ${CONFIRM_TIMEOUT_MS / 1000}s: check with serverless traffic status${ctx.cliSuffix}`,
      );
    const alias = aliases.get(target.name);
    if (alias) parts.push(`alias "${target.alias}" serves ${alias}`);
    if (deployment.creator === 'CloudFormation')
      parts.push('the CloudFormation update that started it fails and rolls the stack back');
    return `${parts.join('; ')}.`;
  });
}

/** Checks that --function names one managed function (no AWS call). */
function requireFunction(ctx: TrafficContext, command: string): void {
  if (!ctx.options.function) {
    throw new ServerlessError(
      `serverless traffic ${command} needs --function NAME: it acts on one function at a time.`,
      'TRAFFIC_SHIFT_INVALID_OPTION',
    );
  }
  chosenFunctions(ctx);
}

async function oneTarget(ctx: TrafficContext): Promise<RolloutTarget> {
  return (await loadTargets(ctx))[0] as RolloutTarget;
}

/** Refuses to change an alias CodeDeploy is shifting. */
async function refuseDuringRollout(ctx: TrafficContext, target: RolloutTarget, command: string): Promise<void> {
  if (!target.applicationName || !target.deploymentGroupName) return;
  const running = await deploymentsInProgress(ctx.clients.codeDeploy, target.applicationName, [
    target.deploymentGroupName,
  ]);
  const deployment = running.get(target.deploymentGroupName);
  if (!deployment) return;
  throw new ServerlessError(
    `CodeDeploy is shifting ${target.name} right now (deployment ${deployment.id}, ${deployment.status}), so traffic ${command} would fight it. ` +
      `Follow it with "serverless traffic watch --function ${target.name}${ctx.cliSuffix}" or stop it with "serverless traffic rollback --function ${target.name}${ctx.cliSuffix}".`,
    'TRAFFIC_SHIFT_ROLLOUT_IN_PROGRESS',
  );
}

async function deployedAlias(ctx: TrafficContext, target: RolloutTarget): Promise<AliasState> {
  const state = await readAlias(ctx.clients.lambda, target.functionName, target.alias);
  if (state) return state;
  throw new ServerlessError(
    `Alias "${target.alias}" of ${target.name} (${target.functionName}) does not exist: deploy the service first (sls deploy${ctx.cliSuffix}).`,
    'TRAFFIC_SHIFT_NOT_DEPLOYED',
  );
}

export async function shiftCommand(ctx: TrafficContext): Promise<void> {
  requireFunction(ctx, 'shift');
  const weight = parseWeight(ctx.options.weight);
  const wanted = ctx.options.toVersion;
  if (wanted !== undefined && !/^[1-9]\d*$/.test(wanted)) {
    throw new ServerlessError(
      `--to-version must be the number of a published version of the function (e.g. --to-version 7), not ${JSON.stringify(wanted)}.`,
      'TRAFFIC_SHIFT_INVALID_OPTION',
    );
  }
  const target = await oneTarget(ctx);
  await refuseDuringRollout(ctx, target, 'shift');
  const state = await deployedAlias(ctx, target);
  const versions = await publishedVersions(ctx.clients.lambda, target.functionName);
  let version = ctx.options.toVersion;
  if (version !== undefined && !versions.includes(version)) {
    throw new ServerlessError(
      `--to-version ${version}: ${target.functionName} has no published version ${version}; published: ${versions.filter((v) => v !== '$LATEST').join(', ') || 'none'}.`,
      'TRAFFIC_SHIFT_INVALID_OPTION',
    );
  }
  version ??= latestPublished(versions);
  if (version === undefined) {
    throw new ServerlessError(
      `${target.functionName} has no published version to shift to.`,
      'TRAFFIC_SHIFT_ALIAS_STATE',
    );
  }
  const after = await updateAlias(ctx.clients.lambda, planShift(state, weight, version));
  ctx.logger.writeText(
    [
      `${target.name}: alias "${target.alias}" serves ${describeAlias(after)} (was ${describeAlias(state)}).`,
      `  finish: serverless traffic promote --function ${target.name}${ctx.cliSuffix}`,
      `  undo:   serverless traffic rollback --function ${target.name}${ctx.cliSuffix}`,
      '  sls deploy refuses to run while the alias is weighted by hand.',
    ].join('\n'),
  );
}

export async function promoteCommand(ctx: TrafficContext): Promise<void> {
  requireFunction(ctx, 'promote');
  const target = await oneTarget(ctx);
  await refuseDuringRollout(ctx, target, 'promote');
  const state = await deployedAlias(ctx, target);
  const after = await updateAlias(ctx.clients.lambda, planPromote(state));
  ctx.logger.writeText(
    [
      `${target.name}: alias "${target.alias}" serves ${describeAlias(after)} (was ${describeAlias(state)}).`,
      `  The stack still records version ${state.version} for the alias: the alias was moved outside CloudFormation.`,
    ].join('\n'),
  );
}
