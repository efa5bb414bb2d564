/**
 * `serverless traffic status`: both versions' figures over each function's last rollout (so far, when it runs). The
 * versions come from the rollout's CodeDeploy target (ListDeploymentTargets + BatchGetDeploymentTargets per rollout,
 * 8 in flight: Lambda deployments have one target), the figures from one GetMetricData per 62 rollouts. What cannot
 * be read goes to the row's `unreadable`; the status is printed all the same.
 */
import { errorText, getTarget, listTargetIds, mapLimit, readVersionHealth, type AwsClients } from './aws';
import { isFinished } from './rollout-model';
import type { FunctionStatus } from './status-text';
import type { HealthWindow } from './version-health';

const TARGET_READS_IN_FLIGHT = 8;

export async function addVersionHealth(
  clients: Pick<AwsClients, 'codeDeploy' | 'cloudWatch'>,
  rows: FunctionStatus[],
  now: Date,
): Promise<void> {
  const problem = (row: FunctionStatus, text: string): void => {
    row.unreadable = row.unreadable ? `${row.unreadable}; ${text}` : text;
  };
  const reading = rows.filter((row) => row.last && !['Created', 'Queued'].includes(row.last.status));
  const windows = await mapLimit(reading, TARGET_READS_IN_FLIGHT, async (row): Promise<HealthWindow | undefined> => {
    const d = row.last as NonNullable<FunctionStatus['last']>;
    const from = d.startTime ?? d.createTime;
    if (!from) return undefined;
    try {
      const [targetId] = await listTargetIds(clients.codeDeploy, d.id);
      if (!targetId) return undefined;
      const target = await getTarget(clients.codeDeploy, d.id, targetId, now);
      const to = isFinished(d.status) && d.completeTime ? d.completeTime : now;
      if (!target.targetVersion || !target.currentVersion || to <= from) return undefined;
      return {
        key: d.id,
        functionName: target.functionName ?? row.target.functionName,
        alias: row.target.alias,
        newVersion: target.targetVersion,
        previousVersion: target.currentVersion,
        from,
        to,
      };
    } catch (error) {
      problem(row, `versions of rollout ${d.id}: ${errorText(error)}`);
      return undefined;
    }
  });
  const known = windows.filter((w): w is HealthWindow => w !== undefined);
  if (known.length === 0) return;
  try {
    const health = await readVersionHealth(clients.cloudWatch, known, now);
    for (const row of reading) {
      const figures = row.last && health.get(row.last.id);
      if (figures) row.health = figures;
    }
  } catch (error) {
    for (const row of reading)
      if (known.some((w) => w.key === row.last?.id)) problem(row, `figures: ${errorText(error)}`);
  }
}
