/**
 * Deployment strategies: the `type` setting parsed into a value object, validated in one place.
 *
 * CodeDeploy facts used here (CodeDeploy User Guide, "Deployment configurations" and "Quotas"):
 * nine predefined Lambda configurations; custom ones are TimeBasedCanary / TimeBasedLinear with an integer
 * percentage (at most 99 per increment) and an interval in minutes; at most 2880 minutes between the first
 * and the last shift.
 */
import { ACCEPTED_TYPES, PREDEFINED_CONFIGS } from './schema';

export type Strategy =
  | { kind: 'canary'; percentage: number; intervalMinutes: number }
  | { kind: 'linear'; percentage: number; intervalMinutes: number }
  | { kind: 'allAtOnce' }
  /** All traffic at once after the pre-traffic checks, then a bake time watching the alarms before the old version is let go. */
  | { kind: 'blueGreen' }
  | { kind: 'inPlace' };

export const MAX_SHIFT_MINUTES = 2880;
const PREDEFINED_PREFIX = 'CodeDeployDefault.Lambda';

export { ACCEPTED_TYPES, PREDEFINED_CONFIGS };

const CANARY = /^Canary(\d+)Percent(\d+)Minutes?$/;
const LINEAR = /^Linear(\d+)PercentEvery(\d+)Minutes?$/;

/** Parses `type`; returns the reason when the value is not accepted, and the type meant when only the case is off. */
export function parseStrategy(type: string): Strategy | { error: string; suggestion?: string } {
  let name = type;
  if (type.startsWith(PREDEFINED_PREFIX)) {
    name = type.slice(PREDEFINED_PREFIX.length);
    if (!(PREDEFINED_CONFIGS as readonly string[]).includes(name)) {
      return {
        error: `which is not a predefined CodeDeploy configuration; write custom shapes without the prefix, e.g. "${name}"`,
      };
    }
  }
  if (name === 'AllAtOnce') return { kind: 'allAtOnce' };
  if (name === 'InPlace' && name === type) return { kind: 'inPlace' };
  if (name === 'BlueGreen' && name === type) return { kind: 'blueGreen' };
  const canary = CANARY.exec(name);
  const linear = canary ? null : LINEAR.exec(name);
  const match = canary ?? linear;
  if (!match) {
    const fix = caseFix(type);
    return { error: 'which is not a known deployment type', ...(fix !== undefined && { suggestion: fix }) };
  }
  const percentage = Number(match[1]);
  const intervalMinutes = Number(match[2]);
  if (percentage < 1 || percentage > 99) {
    return { error: `which shifts ${percentage}% in one step; CodeDeploy accepts 1 to 99 percent` };
  }
  if (intervalMinutes < 1) return { error: 'which has an interval of 0 minutes; the interval is at least 1 minute' };
  const strategy: Strategy = canary
    ? { kind: 'canary', percentage, intervalMinutes }
    : { kind: 'linear', percentage, intervalMinutes };
  const total = shiftDurationMinutes(strategy);
  if (total > MAX_SHIFT_MINUTES) {
    return {
      error: `which takes ${total} minutes from the first to the last shift; CodeDeploy allows at most ${MAX_SHIFT_MINUTES}`,
    };
  }
  return strategy;
}

/** `canary10percent5minutes` → `Canary10Percent5Minutes`: the accepted spelling of a type that differs only in case. */
function caseFix(type: string): string | undefined {
  const named = [...PREDEFINED_CONFIGS, 'BlueGreen', 'InPlace'].find((n) => n.toLowerCase() === type.toLowerCase());
  if (named !== undefined) return named;
  const lower = type.toLowerCase();
  if (lower.startsWith(PREDEFINED_PREFIX.toLowerCase())) {
    const short = caseFix(type.slice(PREDEFINED_PREFIX.length));
    return short !== undefined && (PREDEFINED_CONFIGS as readonly string[]).includes(short)
      ? `${PREDEFINED_PREFIX}${short}`
      : undefined;
  }
  const canary = new RegExp(CANARY.source, 'i').exec(type);
  if (canary) return `Canary${canary[1]}Percent${canary[2]}Minute${type.toLowerCase().endsWith('minutes') ? 's' : ''}`;
  const linear = new RegExp(LINEAR.source, 'i').exec(type);
  if (linear)
    return `Linear${linear[1]}PercentEvery${linear[2]}Minute${type.toLowerCase().endsWith('minutes') ? 's' : ''}`;
  return undefined;
}

/** One traffic step: at `minute` after the deployment starts, `percent` of traffic is on the new version. */
export interface TrafficStep {
  minute: number;
  percent: number;
}

export function timeline(strategy: Strategy): TrafficStep[] {
  switch (strategy.kind) {
    case 'canary':
      return [
        { minute: 0, percent: strategy.percentage },
        { minute: strategy.intervalMinutes, percent: 100 },
      ];
    case 'linear': {
      const steps: TrafficStep[] = [];
      for (let i = 0; ; i += 1) {
        const percent = Math.min(100, (i + 1) * strategy.percentage);
        steps.push({ minute: i * strategy.intervalMinutes, percent });
        if (percent === 100) return steps;
      }
    }
    case 'allAtOnce':
    case 'blueGreen':
    case 'inPlace':
      return [{ minute: 0, percent: 100 }];
  }
}

export function shiftDurationMinutes(strategy: Strategy): number {
  const steps = timeline(strategy);
  return (steps[steps.length - 1] as TrafficStep).minute;
}

/** The name CodeDeploy knows a predefined configuration by, or undefined when the plugin must create one. */
export function predefinedConfigName(strategy: Strategy): string | undefined {
  const name = strategy.kind === 'blueGreen' ? 'AllAtOnce' : shortName(strategy);
  return (PREDEFINED_CONFIGS as readonly string[]).includes(name) ? `${PREDEFINED_PREFIX}${name}` : undefined;
}

/** The canonical short name: `Canary25Percent7Minutes`, `Linear10PercentEvery1Minute`, `AllAtOnce`, `InPlace`. */
export function shortName(strategy: Strategy): string {
  switch (strategy.kind) {
    case 'canary':
      return `Canary${strategy.percentage}Percent${minutes(strategy.intervalMinutes)}`;
    case 'linear':
      return `Linear${strategy.percentage}PercentEvery${minutes(strategy.intervalMinutes)}`;
    case 'allAtOnce':
      return 'AllAtOnce';
    case 'blueGreen':
      return 'BlueGreen';
    case 'inPlace':
      return 'InPlace';
  }
}

function minutes(n: number): string {
  return n === 1 ? '1Minute' : `${n}Minutes`;
}

/** `0m → 10%, 5m → 100%`; long linear timelines keep their first and last steps. */
export function describeTimeline(strategy: Strategy): string {
  if (strategy.kind === 'inPlace') return 'all traffic moves at once, no CodeDeploy deployment';
  const steps = timeline(strategy).map((s) => `${s.minute}m → ${s.percent}%`);
  if (steps.length <= 11) return steps.join(', ');
  return [
    ...steps.slice(0, 3),
    `… (+${(strategy as { percentage: number }).percentage}% every ${(strategy as { intervalMinutes: number }).intervalMinutes}m) …`,
    ...steps.slice(-2),
  ].join(', ');
}
