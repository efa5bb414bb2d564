/**
 * Phase 5 of the transform: checks of the finished template. Nothing may invoke a shifted function without its alias
 * (the bypass check, bypass-check.ts, reported here with the resources allowBypass lets through); no alarm a
 * deployment group watches may refer to the alias it guards (a dependency cycle); the stack must stay within
 * CloudFormation's resource limit. Each throws a coded error, or returns what the plan shows.
 */
import { whereWritten, type ShiftedFunction } from '../config/resolve';
import { didYouMean, invalidSetting, ServerlessError } from '../errors';
import { naming } from '../naming';
import type { CfnResource, CfnTemplate } from '../types/cloudformation';
import { describeFinding, findBypasses } from './bypass-check';
import { eventSourceModule } from './events';
import type { ShiftingParts } from './function-parts';
import { refTarget } from './intrinsics';

/** How the plan names a resource that invokes a function: its event source's words, else its logical id and type. */
function describeSource(template: CfnTemplate, logicalId: string): string {
  const resource = template.Resources[logicalId] as CfnResource;
  const module = eventSourceModule(resource.Type);
  return module
    ? `${module.describe(logicalId, resource, template)} [${logicalId}]`
    : `${logicalId} (${resource.Type})`;
}

/** CloudFormation's limit on resources in one stack. */
export const MAX_STACK_RESOURCES = 500;
const WARN_STACK_RESOURCES = 450;

/** Throws past the limit; near it, returns a warning. */
export function checkResourceBudget(input: CfnTemplate, output: CfnTemplate): string | undefined {
  const before = Object.keys(input.Resources).length;
  const after = Object.keys(output.Resources).length;
  const advice =
    'Options: turn off optional newVersionAlarms, set enabled: false on functions that need no gradual rollout, ' +
    'split the stack with serverless-plugin-split-stacks (listed after serverless-traffic-shift), or split the service.';
  if (after > MAX_STACK_RESOURCES) {
    throw new ServerlessError(
      `The stack would have ${after} resources, over CloudFormation's limit of ${MAX_STACK_RESOURCES}: the service has ${before} ` +
        `and serverless-traffic-shift adds ${after - before}. ${advice}`,
      'TRAFFIC_SHIFT_RESOURCE_LIMIT',
    );
  }
  if (after > WARN_STACK_RESOURCES) {
    return `the stack has ${after} resources (${after - before} added by serverless-traffic-shift), close to CloudFormation's limit of ${MAX_STACK_RESOURCES}. ${advice}`;
  }
  return undefined;
}

/**
 * An alarm that refers to the alias the deployment group watches closes a cycle: alias → group → alarm → alias
 * (CloudFormation rejects it). Users meet it when they build the alarm's Resource dimension with `Ref` of the alias.
 */
export function checkNoAlarmCycle(template: CfnTemplate, shifting: readonly ShiftingParts[]): void {
  for (const { fn, alarmNames } of shifting) {
    const aliasId = naming.alias(fn.normalizedName);
    for (const name of alarmNames) {
      const alarmId = refTarget(name);
      if (alarmId === undefined) continue;
      if (JSON.stringify(template.Resources[alarmId]).includes(`{"Ref":"${aliasId}"}`)) {
        throw invalidSetting(
          whereWritten(fn, 'alarms'),
          'alarms',
          `names ${alarmId}, which refers to ${aliasId}, the alias whose deployment group watches it: CloudFormation would reject the dependency cycle`,
          `Build the alarm's Resource dimension from the function name instead: Fn::Join [":", [Ref: ${fn.logicalId}, ${fn.alias}]].`,
        );
      }
    }
  }
}

/**
 * Fails the build when anything still invokes a shifted function without its alias; returns, per function name, the
 * resources its allowBypass lets through, described for the plan.
 */
export function checkNoBypass(template: CfnTemplate, shifted: readonly ShiftedFunction[]): Map<string, string[]> {
  for (const fn of shifted) {
    const stale = fn.allowBypass.filter((id) => !Object.prototype.hasOwnProperty.call(template.Resources, id));
    if (stale.length > 0) {
      throw invalidSetting(
        whereWritten(fn, 'allowBypass'),
        'allowBypass',
        `names ${stale.join(', ')}, which the compiled template does not contain`,
        `${didYouMean(stale[0] as string, Object.keys(template.Resources))}List logical ids of resources in the compiled template, or remove the entry.`,
      );
    }
  }
  const allowedBy = new Map(shifted.map((fn) => [fn.name, new Set(fn.allowBypass)]));
  const all = findBypasses(template, shifted);
  const findings = all.filter((f) => !allowedBy.get(f.functionName)?.has(f.resource));
  if (findings.length === 0) {
    const allowed = new Map<string, string[]>();
    for (const f of all) {
      const described = describeSource(template, f.resource);
      const list = allowed.get(f.functionName) ?? [];
      if (!list.includes(described)) allowed.set(f.functionName, [...list, described]);
    }
    return allowed;
  }
  const lines = findings.map((f) => `  - ${describeFinding(f)}`);
  throw new ServerlessError(
    [
      `Traffic would bypass the alias of ${[...new Set(findings.map((f) => `"${f.functionName}"`))].join(', ')}: these invoke the function itself, ` +
        'a version or another alias of it, so they would reach code unseen by the rollout:',
      ...lines,
      'Fix: point them at the alias instead (Ref: <Function>TrafficShiftAlias, or the function ARN followed by ":<alias>"), ' +
        'or, for a deliberate exception, list the resource in deploymentSettings.allowBypass of that function.',
    ].join('\n'),
    'TRAFFIC_SHIFT_BYPASS',
  );
}
