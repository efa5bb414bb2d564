/** The plan in words: the full view of `serverless traffic plan`, and the one-line summary after `sls package`. */
import type { FunctionPlan, Plan } from './plan';

export function renderPlan(plan: Plan): string {
  const lines = [`Traffic plan for stage "${plan.stage}"`, ''];
  for (const fn of plan.functions) {
    lines.push(`${fn.name}: ${headline(fn)}`);
    if (fn.mode === 'untouched') {
      lines.push('');
      continue;
    }
    lines.push(`  alias        ${fn.alias}`);
    if (fn.deploymentConfig) lines.push(`  config       ${fn.deploymentConfig}`);
    lines.push(`  traffic      ${fn.timeline}`);
    lines.push(
      ...field('events', [
        ...eventLines(fn.events ?? []),
        ...(fn.bypasses ?? []).map((b) => `${b} → the function itself, new code at once (allowBypass)`),
      ]),
    );
    if (fn.mode === 'shifted') {
      lines.push(...field('alarms', fn.alarms));
      lines.push(...field('hooks', fn.hooks));
      lines.push(
        ...field(
          'rollback',
          (fn.rollback ?? []).map((event) => ROLLBACK_WORDS[event] ?? event),
        ),
      );
    }
    lines.push(`  adds         ${fn.addedResources.join(', ')}`);
    if (fn.notes) lines.push(...field('note', fn.notes));
    lines.push('');
  }
  if (plan.sharedResources.length) lines.push(`Shared by the stack: ${plan.sharedResources.join(', ')}`, '');
  if (plan.warnings.length) lines.push('Warnings:', ...plan.warnings.map((w) => `  - ${w}`), '');
  if (plan.functions.some((fn) => fn.mode === 'shifted'))
    lines.push(
      'Traffic shifts only when a function has a new version: the first deploy of a stack creates each alias on the',
      'new version directly, and a deploy with unchanged code and configuration publishes no version and leaves the',
      'alias where it is.',
    );
  return lines.join('\n').trimEnd();
}

const ROLLBACK_WORDS: Record<string, string> = {
  DEPLOYMENT_FAILURE: 'when the deployment fails',
  DEPLOYMENT_STOP_ON_ALARM: 'when an alarm fires',
  DEPLOYMENT_STOP_ON_REQUEST: 'when stopped by hand',
};

/** Event sources through the alias; permissions are counted, not listed (each event source has one or more). */
function eventLines(events: string[]): string[] {
  const permissions = events.filter((e) => e.startsWith('permission for '));
  const sources = events.filter((e) => !e.startsWith('permission for ')).map((e) => `${e} → alias`);
  return [
    ...sources,
    ...(permissions.length > 0 ? [`${permissions.length} invoke permission(s), all on the alias`] : []),
  ];
}

function field(label: string, values: string[]): string[] {
  const [first, ...rest] = values.length > 0 ? values : ['none'];
  return [`  ${label.padEnd(12)} ${first}`, ...rest.map((v) => `  ${''.padEnd(12)} ${v}`)];
}

export function summaryLines(plan: Plan): string[] {
  return plan.functions.map((fn) => `${fn.name}: ${headline(fn)}`);
}

function headline(fn: FunctionPlan): string {
  switch (fn.mode) {
    case 'shifted':
      return `${fn.strategy} through alias "${fn.alias}" (${fn.timeline})`;
    case 'inPlace':
      return `in place through alias "${fn.alias}", no gradual shift${fn.reason ? ` (${fn.reason})` : ' (type InPlace)'}`;
    case 'untouched':
      return `not managed (${fn.reason})`;
  }
}
