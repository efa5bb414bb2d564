/** `serverless traffic status` in words: per function, its alias, its last rollout, and whether one runs now. Pure. */
import { describeAlias, isWeighted, mainShare, type AliasState } from './alias-weights';
import type { RolloutTarget } from './stack-discovery';
import { clock, dateTime, duration } from './format';
import { failureCause, isFinished, type DeploymentFacts } from './rollout-model';
import { describeConfig } from './traffic-schedule';
import type { Strategy } from '../config/strategy';
import { comparisonText, figuresText, hasCalls, healthJson, type VersionHealth } from './version-health';

export interface FunctionStatus {
  target: RolloutTarget;
  /** Undefined: the alias does not exist (not deployed yet). */
  alias?: AliasState;
  last?: DeploymentFacts;
  /** The deployment CodeDeploy started to undo the last rollout. */
  rollback?: DeploymentFacts;
  inProgress?: DeploymentFacts;
  strategies: ReadonlyMap<string, Strategy | undefined>;
  /** What could not be read, in words. */
  unreadable?: string;
  /** Both versions' figures over the last rollout (so far, when it runs). */
  health?: VersionHealth;
}

export interface StatusHeader {
  stage: string;
  region: string;
  stackName: string;
  cliSuffix: string;
}

const CREATORS: Record<string, string> = {
  CloudFormation: 'CloudFormation (stack update)',
  CloudFormationRollback: 'CloudFormation (stack rollback)',
  user: 'a user (StartDeployment, console or CLI)',
  codeDeployRollback: 'CodeDeploy (automatic rollback)',
  CodeDeploy: 'CodeDeploy',
  CodeDeployAutoUpdate: 'CodeDeploy (auto update)',
};

export function renderStatus(header: StatusHeader, rows: readonly FunctionStatus[]): string {
  const lines = [`Traffic status of stage "${header.stage}" (stack ${header.stackName}, ${header.region})`, ''];
  for (const row of rows) {
    lines.push(row.target.name, ...functionLines(row, header.cliSuffix), '');
  }
  return lines.join('\n').trimEnd();
}

function functionLines(row: FunctionStatus, cliSuffix: string): string[] {
  const { target } = row;
  const out: string[] = [];
  const field = (label: string, ...values: string[]): void => {
    const [first, ...rest] = values;
    out.push(`  ${label.padEnd(13)} ${first ?? ''}`, ...rest.map((v) => `  ${''.padEnd(13)} ${v}`));
  };
  field(
    'alias',
    row.alias
      ? `${target.alias} → ${describeAlias(row.alias)}`
      : `${target.alias}: not deployed yet (sls deploy creates it)`,
  );
  field(
    'strategy',
    target.inPlace
      ? `in place (${target.inPlaceReason ?? 'type InPlace'}): the alias moves at once, no CodeDeploy`
      : target.strategy,
  );
  if (row.unreadable) field('unreadable', row.unreadable);
  if (!target.inPlace) {
    if (!target.deploymentGroupName) field('last rollout', 'none: the deployment group is not deployed yet');
    else if (!row.last)
      field('last rollout', 'none yet (the first deploy creates the alias; the next one with new code shifts)');
    else field('last rollout', ...deploymentLines(row.last, row.strategies), ...rollbackLines(row.rollback));
    if (row.last && hasCalls(row.health)) field('versions', ...healthLines(row.health, !isFinished(row.last.status)));
  }
  const running = runningDeployment(row);
  if (running) {
    field(
      'in progress',
      `yes: ${running.id} ${running.status}${running.startTime ? ` since ${clock(running.startTime)}` : ''}`,
      `follow it: serverless traffic watch --function ${target.name}${cliSuffix}`,
      `stop it:   serverless traffic rollback --function ${target.name}${cliSuffix}`,
    );
  } else if (row.alias && isWeighted(row.alias)) {
    field(
      'in progress',
      'no, but the alias is weighted by hand (sls deploy refuses to run until this is resolved)',
      `finish: serverless traffic promote --function ${target.name}${cliSuffix}`,
      `undo:   serverless traffic rollback --function ${target.name}${cliSuffix}`,
    );
  } else {
    field('in progress', 'no');
  }
  return out;
}

function deploymentLines(d: DeploymentFacts, strategies: ReadonlyMap<string, Strategy | undefined>): string[] {
  const strategy = describeConfig(d.configName, d.configName ? strategies.get(d.configName) : undefined);
  const start = d.startTime ?? d.createTime;
  const times = start
    ? `${dateTime(start)}${d.completeTime ? ` → ${clock(d.completeTime)} (${duration(d.completeTime.getTime() - start.getTime())})` : ', still running'}`
    : undefined;
  const lines = [`${d.id} ${d.status}, ${strategy}, started by ${CREATORS[d.creator ?? ''] ?? d.creator ?? 'unknown'}`];
  if (times) lines.push(times);
  const cause = deploymentCause(d);
  if (cause) lines.push(`cause: ${cause}`);
  return lines;
}

function rollbackLines(rollback: DeploymentFacts | undefined): string[] {
  if (!rollback) return [];
  const end = rollback.completeTime ? ` at ${clock(rollback.completeTime)}` : '';
  return [`rolled back by ${rollback.id} (${rollback.status}${end})`];
}

/** Each version's figures over the rollout, then the new one against the previous one. */
function healthLines(health: VersionHealth, running: boolean): string[] {
  const over = running ? 'so far' : 'over the rollout';
  const compared = comparisonText(health);
  return [
    `${figuresText(health.newVersion)} (new)`,
    `${figuresText(health.previousVersion)} (previous)`,
    ...(compared ? [`new against previous ${over}: ${compared}`] : []),
  ];
}

/** The rollout running now: the one in progress, or the last one when it has not finished. */
function runningDeployment(row: FunctionStatus): DeploymentFacts | undefined {
  return row.inProgress ?? (row.last && !isFinished(row.last.status) ? row.last : undefined);
}

/** Why a failed or stopped rollout ended, in words; undefined for any other. */
function deploymentCause(d: DeploymentFacts): string | undefined {
  return d.status === 'Failed' || d.status === 'Stopped'
    ? failureCause({ name: '', alias: '', deployment: d, alarms: [], fired: [], hooks: {} })
    : undefined;
}

/** `serverless traffic status --json`: the same facts as data (times in ISO 8601, shares in percent). */
export function statusJson(header: StatusHeader, rows: readonly FunctionStatus[]): unknown {
  return {
    stage: header.stage,
    region: header.region,
    stack: header.stackName,
    functions: rows.map((row) => {
      const { target } = row;
      const running = runningDeployment(row);
      return {
        name: target.name,
        alias: {
          name: target.alias,
          deployed: row.alias !== undefined,
          ...(row.alias && {
            versions: [
              { version: row.alias.version, percent: mainShare(row.alias) },
              ...row.alias.weights.map((w) => ({ version: w.version, percent: w.percent })),
            ],
          }),
        },
        strategy: target.inPlace ? 'InPlace' : target.strategy,
        ...(target.inPlaceReason !== undefined && { inPlaceReason: target.inPlaceReason }),
        lastRollout: row.last
          ? {
              ...deploymentJson(row.last, row.strategies),
              ...(row.rollback && {
                rollback: {
                  id: row.rollback.id,
                  status: row.rollback.status,
                  ...(row.rollback.completeTime && { end: row.rollback.completeTime.toISOString() }),
                },
              }),
              ...(row.health && { versions: healthJson(row.health) }),
            }
          : null,
        inProgress: running
          ? {
              id: running.id,
              status: running.status,
              ...(running.startTime && { since: running.startTime.toISOString() }),
            }
          : null,
        weightedByHand: !running && row.alias !== undefined && isWeighted(row.alias),
        ...(row.unreadable && { unreadable: row.unreadable }),
      };
    }),
  };
}

function deploymentJson(
  d: DeploymentFacts,
  strategies: ReadonlyMap<string, Strategy | undefined>,
): Record<string, unknown> {
  const start = d.startTime ?? d.createTime;
  const cause = deploymentCause(d);
  return {
    id: d.id,
    status: d.status,
    ...(d.configName && {
      deploymentConfig: d.configName,
      strategy: describeConfig(d.configName, strategies.get(d.configName)),
    }),
    ...(d.creator && { creator: d.creator }),
    ...(start && { start: start.toISOString() }),
    ...(d.completeTime && { end: d.completeTime.toISOString() }),
    ...(cause && { cause }),
  };
}
