/**
 * The plan: what a deploy of the transformed template will do, per function and for the stack. The transform
 * returns it beside the template; plan-text.ts puts it in words, and `traffic plan --json` prints it as it is.
 */
import type { ResolvedSettings } from '../config/resolve';
import { describeTimeline, predefinedConfigName, shortName, timeline, type TrafficStep } from '../config/strategy';
import { naming } from '../naming';
import { describeGeneratedAlarm } from '../transform/alarms';
import { rollbackEvents } from '../transform/deployment-group';
import type { FunctionParts } from '../transform/function-parts';

export interface FunctionPlan {
  name: string;
  /** shifted: CodeDeploy moves traffic; inPlace: the alias moves at once; untouched: the plugin leaves it alone. */
  mode: 'shifted' | 'inPlace' | 'untouched';
  strategy?: string;
  deploymentConfig?: string;
  alias?: string;
  timeline?: string;
  /** The same timeline as data: at `minute`, `percent` of the traffic is on the new version. */
  steps?: TrafficStep[];
  /** Minutes the alarms are watched after all traffic moved (bakeTime, BlueGreen). */
  bakeMinutes?: number;
  reason?: string;
  /** Event sources that reach the function through its alias. */
  events?: string[];
  /** Resources listed in allowBypass that do invoke the function itself: they reach new code at once. */
  bypasses?: string[];
  alarms: string[];
  hooks: string[];
  rollback?: string[];
  addedResources: string[];
  /** What the user should know about the function that does not stop the build (e.g. too little traffic to judge it). */
  notes?: string[];
}

export interface Plan {
  stage: string;
  functions: FunctionPlan[];
  /** Resources shared by the stack (application, role, custom deployment configs, generated hooks). */
  sharedResources: string[];
  /** Things the user should know that do not stop the build. */
  warnings: string[];
}

/** What the transform's phases made, for the plan. */
export interface PlanInput {
  settings: ResolvedSettings;
  parts: readonly FunctionParts[];
  /** Per function name: its hooks in words. */
  hooks: ReadonlyMap<string, readonly string[]>;
  /** Per function name: the ids added for it, in order. */
  addedByFunction: ReadonlyMap<string, readonly string[]>;
  sharedResources: readonly string[];
  /** Per function name: what reaches it through its alias, and what allowBypass lets reach the function itself. */
  events: ReadonlyMap<string, string[]>;
  bypasses: ReadonlyMap<string, string[]>;
  /** What the phases warned of; the plan adds functions the defaults leave alone because they cannot shift. */
  warnings: readonly string[];
}

export function buildPlan(input: PlanInput): Plan {
  const byName = new Map(input.parts.map((p) => [p.fn.name, p]));
  const functions = input.settings.functions.map((resolved): FunctionPlan => {
    const parts = byName.get(resolved.name);
    if (resolved.kind === 'untouched' || !parts) {
      return {
        name: resolved.name,
        mode: 'untouched',
        reason: resolved.kind === 'untouched' ? resolved.reason : undefined,
        alarms: [],
        hooks: [],
        addedResources: [],
      };
    }
    const { fn, groupLogicalId, alarmNames } = parts;
    const shifts = fn.strategy.kind !== 'inPlace';
    const bake = shifts ? fn.health.bakeMinutes : undefined;
    const events = input.events.get(fn.name);
    const bypasses = input.bypasses.get(fn.name);
    return {
      name: fn.name,
      mode: shifts ? 'shifted' : 'inPlace',
      strategy: shortName(fn.strategy),
      alias: fn.alias,
      timeline: describeTimeline(fn.strategy) + (bake !== undefined ? `, then ${bake}m bake watching the alarms` : ''),
      steps: timeline(fn.strategy),
      ...(bake !== undefined && { bakeMinutes: bake }),
      ...(fn.inPlaceReason !== undefined && { reason: fn.inPlaceReason }),
      ...(groupLogicalId !== undefined && {
        deploymentConfig: predefinedConfigName(fn.strategy) ?? `custom (${naming.deploymentConfig(fn.strategy)})`,
      }),
      ...(events && { events }),
      ...(bypasses && { bypasses }),
      alarms: shifts
        ? [
            ...fn.health.newVersionAlarms.map(describeGeneratedAlarm),
            ...fn.health.alarms.map((a) => (a.kind === 'name' ? `${a.name} (existing)` : a.logicalId)),
          ]
        : [],
      hooks: [...(input.hooks.get(fn.name) ?? [])],
      ...(shifts && { rollback: rollbackEvents(fn.health.autoRollback, alarmNames.length > 0) }),
      addedResources: [...(input.addedByFunction.get(fn.name) ?? [])],
      ...(shifts && fn.notes && { notes: [...fn.notes] }),
    };
  });
  return {
    stage: input.settings.stage,
    functions,
    sharedResources: [...input.sharedResources],
    warnings: [
      ...input.warnings,
      ...input.settings.functions.flatMap((fn) =>
        fn.kind === 'untouched' && fn.cannotShift ? [`${fn.name} is not shifted: ${fn.reason}.`] : [],
      ),
    ],
  };
}
