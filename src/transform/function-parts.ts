/**
 * Phase 1 of the transform: per shifted function, what the rest of the pipeline builds on — the version the alias
 * follows, the settings moved off the framework's own aliases, the generated alarms, and every alarm the deployment
 * group watches (checked against CodeDeploy's limit and the rollback rules).
 */
import { MAX_ALARMS_PER_GROUP } from '../config/health-checks';
import type { ShiftedFunction } from '../config/resolve';
import { invalidSetting, ServerlessError } from '../errors';
import { naming } from '../naming';
import { ref, type CfnResource, type CfnTemplate } from '../types/cloudformation';
import { generatedAlarms } from './alarms';
import { absorbFrameworkAliases, findVersion, versionsByFunction } from './alias';

export interface FunctionParts {
  fn: ShiftedFunction;
  /** The AWS::Lambda::Version the alias follows. */
  versionLogicalId: string;
  /** Properties moved to the alias from the framework's provisioned-concurrency / SnapStart aliases. */
  aliasProperties: Record<string, unknown>;
  /** Alarms generated on the new version (none in place). */
  alarms: { logicalId: string; resource: CfnResource }[];
  /** What the deployment group watches: Refs of alarms in the template, or names of existing alarms. */
  alarmNames: unknown[];
  /** The deployment group's logical id; undefined when the function moves in place (no CodeDeploy). */
  groupLogicalId?: string;
}

/** A function CodeDeploy shifts: it has a deployment group. */
export type ShiftingParts = FunctionParts & { groupLogicalId: string };

export const isShifting = (parts: FunctionParts): parts is ShiftingParts => parts.groupLogicalId !== undefined;

/**
 * Reads each function's version and takes the framework's aliases out of `resources` (the pipeline's working copy of
 * the resource map); a version of a function whose versioning the user turned off loses its DeletionPolicy there.
 */
export function collectFunctionParts(
  functions: readonly ShiftedFunction[],
  input: CfnTemplate,
  resources: Record<string, CfnResource>,
): FunctionParts[] {
  const versionsOf = versionsByFunction(input);
  return functions.map((fn): FunctionParts => {
    if (!(fn.logicalId in resources)) {
      throw new ServerlessError(
        `Function "${fn.name}" has no ${fn.logicalId} in the compiled template.`,
        'TRAFFIC_SHIFT_MISSING_RESOURCE',
      );
    }
    const versionLogicalId = findVersion(versionsOf, fn);
    if (!fn.retainVersions) {
      const { DeletionPolicy: _retain, ...version } = resources[versionLogicalId] as CfnResource;
      resources[versionLogicalId] = version;
    }
    const aliasProperties = absorbFrameworkAliases(resources, fn);
    if (fn.strategy.kind === 'inPlace') return { fn, versionLogicalId, aliasProperties, alarms: [], alarmNames: [] };

    const alarms = generatedAlarms({ fn, versionLogicalId });
    const alarmNames = [...alarms.map((a) => ref(a.logicalId)), ...userAlarmNames(fn, input)];
    if (alarmNames.length > MAX_ALARMS_PER_GROUP) {
      const own = fn.health.alarms.map((a) => (a.kind === 'name' ? a.name : a.logicalId));
      throw invalidSetting(
        fn.name,
        'alarms',
        own,
        `at most ${MAX_ALARMS_PER_GROUP} alarms per function, CodeDeploy's limit; it has ${alarmNames.length}: ` +
          `${alarms.map((a) => a.logicalId).join(', ')} (generated; turn some off in newVersionAlarms) and ${own.length} from alarms ` +
          `(${own.join(', ')})`,
      );
    }
    if (fn.health.autoRollback.onAlarm === true && alarmNames.length === 0) {
      throw invalidSetting(
        fn.name,
        'autoRollback.onAlarm',
        true,
        'alarms to roll back on: add alarms or keep newVersionAlarms.errors on, or drop onAlarm',
      );
    }
    return {
      fn,
      versionLogicalId,
      aliasProperties,
      alarms,
      alarmNames,
      groupLogicalId: naming.deploymentGroup(fn.normalizedName),
    };
  });
}

/** `alarms:` entries: logical ids must name an alarm of the template; names of existing alarms pass as they are. */
function userAlarmNames(fn: ShiftedFunction, template: CfnTemplate): unknown[] {
  return fn.health.alarms.map((alarm) => {
    if (alarm.kind === 'name') return alarm.name;
    const type = template.Resources[alarm.logicalId]?.Type;
    if (type !== 'AWS::CloudWatch::Alarm' && type !== 'AWS::CloudWatch::CompositeAlarm') {
      throw invalidSetting(
        fn.name,
        'alarms',
        alarm.logicalId,
        type === undefined
          ? 'logical ids of AWS::CloudWatch::Alarm resources in the compiled template (no resource has this id; for an alarm outside the stack write { name: <alarm name> })'
          : `logical ids of AWS::CloudWatch::Alarm resources; ${alarm.logicalId} is an ${type}`,
      );
    }
    return ref(alarm.logicalId);
  });
}
