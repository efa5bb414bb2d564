/**
 * The heart of the plugin: (resolved settings, compiled template) → new template and the plan that describes it.
 * Pure: no framework, no I/O. The input template is never modified; on error nothing is returned.
 */
import type { ResolvedSettings, ShiftedFunction } from '../config/resolve';
import { describeTimeline, predefinedConfigName, shortName } from '../config/strategy';
import { ServerlessError } from '../errors';
import { naming } from '../naming';
import { getAtt, type CfnResource, type CfnTemplate } from '../types/cloudformation';
import { absorbFrameworkAliases, aliasResource, findVersion } from './alias';
import { customDeploymentConfig, deploymentConfigName } from './deployment-config';
import { application, deploymentGroup } from './deployment-group';
import { retargetToAliases } from './retarget';
import { codeDeployRole } from './role';
import { describeFinding, findBypasses } from './verify';

export interface FunctionPlan {
  name: string;
  /** shifted: CodeDeploy moves traffic; inPlace: the alias moves at once; untouched: the plugin leaves it alone. */
  mode: 'shifted' | 'inPlace' | 'untouched';
  strategy?: string;
  deploymentConfig?: string;
  alias?: string;
  timeline?: string;
  reason?: string;
  alarms: string[];
  hooks: string[];
  addedResources: string[];
}

export interface Plan {
  stage: string;
  functions: FunctionPlan[];
  /** Resources shared by the stack (application, role, custom deployment configs). */
  sharedResources: string[];
}

export interface TransformResult {
  template: CfnTemplate;
  plan: Plan;
}

export function applyTrafficShift(settings: ResolvedSettings, input: CfnTemplate): TransformResult {
  const shifted = settings.functions.filter((f): f is ShiftedFunction => f.kind === 'shifted');
  const added: Record<string, CfnResource> = {};
  const add = (logicalId: string, resource: CfnResource): void => {
    if (logicalId in input.Resources || logicalId in added) {
      throw new ServerlessError(
        `serverless-traffic-shift adds a resource named ${logicalId}, but the template already has one. Rename yours in resources:.`,
        'TRAFFIC_SHIFT_LOGICAL_ID_COLLISION',
      );
    }
    added[logicalId] = resource;
  };

  // Framework aliases are removed from a working copy of the resource map; resources themselves are shared, not cloned.
  const resources: Record<string, CfnResource> = { ...input.Resources };
  const functionPlans = new Map<string, FunctionPlan>();
  const usesCodeDeploy = shifted.filter((fn) => fn.strategy.kind !== 'inPlace');
  const needsRole = usesCodeDeploy.some((fn) => fn.codeDeployRole === undefined);

  for (const fn of shifted) {
    if (!(fn.logicalId in resources)) {
      throw new ServerlessError(`Function "${fn.name}" has no ${fn.logicalId} in the compiled template.`, 'TRAFFIC_SHIFT_MISSING_RESOURCE');
    }
    const versionLogicalId = findVersion(input, fn);
    if (!fn.retainVersions) {
      const { DeletionPolicy: _retain, ...version } = resources[versionLogicalId] as CfnResource;
      resources[versionLogicalId] = version;
    }
    const moved = absorbFrameworkAliases(resources, fn);
    const aliasId = naming.alias(fn.normalizedName);
    add(aliasId, aliasResource(fn, versionLogicalId, moved));
    const plan: FunctionPlan = {
      name: fn.name,
      mode: fn.strategy.kind === 'inPlace' ? 'inPlace' : 'shifted',
      strategy: shortName(fn.strategy),
      alias: fn.alias,
      timeline: describeTimeline(fn.strategy),
      alarms: [],
      hooks: [],
      addedResources: [aliasId],
      ...(fn.inPlaceReason !== undefined && { reason: fn.inPlaceReason }),
    };
    if (fn.strategy.kind !== 'inPlace') {
      const groupId = naming.deploymentGroup(fn.normalizedName);
      const config = deploymentConfigName(fn.strategy);
      add(
        groupId,
        deploymentGroup({
          deploymentConfigName: config,
          serviceRoleArn: fn.codeDeployRole ?? getAtt(naming.codeDeployRole(), 'Arn'),
        }),
      );
      plan.addedResources.push(groupId);
      plan.deploymentConfig = predefinedConfigName(fn.strategy) ?? `custom (${naming.deploymentConfig(fn.strategy)})`;
    }
    functionPlans.set(fn.name, plan);
  }

  const sharedResources: string[] = [];
  const addShared = (logicalId: string, resource: CfnResource): void => {
    add(logicalId, resource);
    sharedResources.push(logicalId);
  };
  if (usesCodeDeploy.length > 0) addShared(naming.application(), application());
  if (needsRole) addShared(naming.codeDeployRole(), codeDeployRole(settings.permissionsBoundary));
  const configs = new Map(
    usesCodeDeploy.flatMap((fn) => {
      const custom = fn.strategy.kind === 'inPlace' ? undefined : customDeploymentConfig(fn.strategy);
      return custom ? [[custom.logicalId, custom.resource] as const] : [];
    }),
  );
  for (const logicalId of [...configs.keys()].sort()) addShared(logicalId, configs.get(logicalId) as CfnResource);

  const template = retargetToAliases({ ...input, Resources: { ...resources, ...added } }, shifted);
  checkNoBypass(template, shifted);
  const functions = settings.functions.map(
    (fn): FunctionPlan =>
      functionPlans.get(fn.name) ?? { name: fn.name, mode: 'untouched', reason: fn.kind === 'untouched' ? fn.reason : undefined, alarms: [], hooks: [], addedResources: [] },
  );
  return { template, plan: { stage: settings.stage, functions, sharedResources } };
}

/** Fails the build when anything still invokes a shifted function without its alias. */
function checkNoBypass(template: CfnTemplate, shifted: readonly ShiftedFunction[]): void {
  for (const fn of shifted) {
    const stale = fn.allowBypass.filter((id) => !(id in template.Resources));
    if (stale.length > 0) {
      throw new ServerlessError(
        `functions.${fn.name}.deploymentSettings.allowBypass names ${stale.join(', ')}, which the template does not contain; ` +
          'list logical ids of resources in the compiled template, or remove the entry.',
        'TRAFFIC_SHIFT_INVALID_SETTING',
      );
    }
  }
  const findings = findBypasses(template, shifted, (fn, resource) => fn.allowBypass.includes(resource));
  if (findings.length === 0) return;
  const lines = findings.map((f) => `  - ${describeFinding(f)}`);
  throw new ServerlessError(
    [
      `Traffic would bypass the alias of ${[...new Set(findings.map((f) => `"${f.functionName}"`))].join(', ')}: these invoke the function itself, ` +
        'so they would reach new code at once, unseen by the rollout:',
      ...lines,
      'Fix: point them at the alias instead (Ref: <Function>TrafficShiftAlias, or the function ARN followed by ":<alias>"), ' +
        'or, for a deliberate exception, list the resource in deploymentSettings.allowBypass of that function.',
    ].join('\n'),
    'TRAFFIC_SHIFT_BYPASS',
  );
}
