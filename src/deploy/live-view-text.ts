/**
 * The live view in words: one line per function. Interactive terminals redraw it through the framework's progress
 * API with a countdown to the next shift; CI logs print it whenever it changes, so the line there carries no
 * countdown (it would change every poll). Pure.
 */
import { clock, duration, percent } from './format';
import { outcomeLine, type AlarmFacts, type HookView, type RolloutView } from './rollout-model';
import { closingLine, hasCalls, healthText } from './version-health';

export interface LineOptions {
  now: Date;
  /** Add `(in 3m 10s)` to the next shift: for redrawn lines only. */
  countdown: boolean;
}

export function progressLine(view: RolloutView, options: LineOptions): string {
  return [`${view.name}:`, ...body(view, options)].filter((part) => part.length > 0).join(' ');
}

function body(view: RolloutView, { now, countdown }: LineOptions): string[] {
  const hooks = view.hooks.map(hookText);
  const alarms = alarmText(view.alarms);
  const extras = [...hooks, alarms].filter((t): t is string => t !== undefined).map((t) => `· ${t}`);
  // Both versions' figures so far, once calls came through the alias.
  const figures = hasCalls(view.health) ? [`· ${healthText(view.health)}`] : [];
  switch (view.phase) {
    case 'waiting':
      return ['waiting for CloudFormation to start the CodeDeploy deployment'];
    case 'starting':
      return [`deployment ${view.deploymentId} created (${view.strategy})`, ...extras];
    case 'inProgress':
      return [`deployment ${view.deploymentId} in progress (${view.strategy})`, ...extras];
    case 'preTraffic':
      return [`${traffic(view)}, checks before any traffic moves (${view.strategy})`, ...extras];
    case 'shifting': {
      const step = view.step ? `· step ${view.step.index}/${view.step.count}` : '';
      const next = view.next
        ? `· ${percent(view.next.percent)} at ${clock(view.next.at)}${countdown ? ` (${dueIn(view.next.at, now)})` : ''}`
        : '';
      return [traffic(view), `(${view.strategy})`, step, next, ...extras, ...figures];
    }
    case 'postTraffic':
      return [traffic(view), ...extras, ...figures];
    case 'succeeded':
    case 'failed':
    case 'rolledBack':
      return [outcomeLine(view).slice(view.name.length + 2)];
    case 'rollingBack':
      return [
        `rolling back to version ${view.fromVersion ?? '(previous)'}: ${view.cause}`,
        ...(alarms ? [`· ${alarms}`] : []),
      ];
  }
}

/**
 * The closing report of the rollouts that ended: per function, the new version against the previous one over the
 * rollout (none for a function whose rollout no call reached).
 */
export function closingReport(views: readonly RolloutView[]): string[] {
  return views.flatMap((view) => {
    if (!view.finished && view.phase !== 'rollingBack') return [];
    const line = closingLine(view.name, view.health);
    return line ? [line] : [];
  });
}

/** `10% on version 7, 90% on version 6` */
function traffic(view: RolloutView): string {
  const share = view.percent ?? 0;
  const to = view.toVersion ? `version ${view.toVersion}` : 'the new version';
  const rest = view.fromVersion && share < 100 ? `, ${percent(100 - share)} on version ${view.fromVersion}` : '';
  return `${percent(share)} on ${to}${rest}`;
}

function dueIn(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  return ms > 0 ? `in ${duration(ms)}` : 'due now';
}

const HOOK_STATUS: Record<string, string> = {
  Pending: 'pending',
  InProgress: 'running',
  Succeeded: 'passed',
  Failed: 'FAILED',
  Skipped: 'skipped',
  Unknown: 'unknown',
};

function hookText(hook: HookView): string {
  return `${hook.phase} hook ${hook.label} ${HOOK_STATUS[hook.status] ?? hook.status}`;
}

/** `alarms: 2 OK`, `alarms: 1 OK, ALARM: api-errors` */
export function alarmText(alarms: readonly AlarmFacts[]): string | undefined {
  if (alarms.length === 0) return undefined;
  const firing = alarms.filter((a) => a.state === 'ALARM').map((a) => a.name);
  const counts = new Map<string, number>();
  for (const a of alarms) if (a.state !== 'ALARM') counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
  const quiet = [...counts].map(([state, n]) => `${n} ${state}`);
  return `alarms: ${[...quiet, ...(firing.length > 0 ? [`ALARM: ${firing.join(', ')}`] : [])].join(', ')}`;
}
