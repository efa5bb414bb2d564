/**
 * Phase 3 of the transform: the resources the plugin adds — per function its alias and, when CodeDeploy shifts it,
 * its alarms and deployment group; for the stack the CodeDeploy application, role and policy, custom deployment
 * configurations, the generated hooks and the optional dashboard. No id the plugin adds may already be in the template.
 */
import type { ResolvedSettings } from '../config/resolve';
import { ServerlessError } from '../errors';
import { naming } from '../naming';
import { getAtt, type CfnResource } from '../types/cloudformation';
import { aliasResource } from './alias';
import { trafficDashboard } from './dashboard';
import { codeDeployPolicy, codeDeployRole } from './codedeploy-role';
import { customDeploymentConfig, deploymentConfigName } from './deployment-config';
import { application, deploymentGroup } from './deployment-group';
import { isShifting, type FunctionParts } from './function-parts';
import type { HookWiring } from './traffic-hooks';
// lodash's main file: the framework loads it too, so it is mostly loaded already (its per-method files are a hundred).
import { isEqual, uniqWith } from 'lodash';

/** Resources the plugin adds, in the order they are added; an id already taken is an error. */
export class AddedResources {
  readonly resources: Record<string, CfnResource> = {};
  /** Per function name, the ids added for it, in order. */
  readonly byFunction = new Map<string, string[]>();
  /** Ids of resources the stack shares. */
  readonly shared: string[] = [];

  constructor(private readonly existing: Readonly<Record<string, CfnResource>>) {}

  add(logicalId: string, resource: CfnResource, owner: { function: string } | 'shared'): void {
    if (logicalId in this.existing || logicalId in this.resources) {
      throw new ServerlessError(
        `serverless-traffic-shift adds a resource named ${logicalId}, but the template already has one. Rename yours in resources:.`,
        'TRAFFIC_SHIFT_LOGICAL_ID_COLLISION',
      );
    }
    this.resources[logicalId] = resource;
    if (owner === 'shared') this.shared.push(logicalId);
    else this.byFunction.set(owner.function, [...(this.byFunction.get(owner.function) ?? []), logicalId]);
  }
}

export interface Emitted {
  added: AddedResources;
  /** Things the user should know (a codeDeployRole of the user's own that the hooks or triggers need more of). */
  warnings: string[];
}

export function emitResources(
  settings: ResolvedSettings,
  parts: readonly FunctionParts[],
  hooks: HookWiring,
  template: Readonly<Record<string, CfnResource>>,
): Emitted {
  const added = new AddedResources(template);
  const warnings: string[] = [];
  const shifting = parts.filter(isShifting);
  const ownRoleUsers = shifting.filter((p) => p.fn.codeDeployRole === undefined);
  const roleGrants = codeDeployPolicy({
    invokes: uniqWith(
      ownRoleUsers.flatMap((p) => hooks.invokedByCodeDeploy.get(p.fn.name) ?? []),
      isEqual,
    ),
    publishes: uniqWith(
      ownRoleUsers.flatMap((p) => p.fn.health.triggers.map((t) => t.targetArn)),
      isEqual,
    ),
  });

  for (const { fn, versionLogicalId, aliasProperties, groupLogicalId } of parts) {
    const wiring = hooks.aliases.get(fn.name);
    const alias = aliasResource(fn, versionLogicalId, aliasProperties, wiring?.hooks ?? {});
    // CodeDeploy starts as soon as the alias changes: every permission the rollout needs must exist by then.
    const dependsOn = [
      ...(wiring?.dependsOn ?? []),
      ...(roleGrants && groupLogicalId && fn.codeDeployRole === undefined ? [naming.codeDeployPolicy()] : []),
    ];
    if (dependsOn.length > 0) alias.DependsOn = [...new Set(dependsOn)];
    added.add(naming.alias(fn.normalizedName), alias, { function: fn.name });
  }
  for (const { fn, alarms } of shifting) {
    for (const alarm of alarms) added.add(alarm.logicalId, alarm.resource, { function: fn.name });
  }
  for (const { fn, alarmNames, groupLogicalId } of shifting) {
    const strategy = fn.strategy as Exclude<typeof fn.strategy, { kind: 'inPlace' }>;
    added.add(
      groupLogicalId,
      deploymentGroup({
        deploymentConfigName: deploymentConfigName(strategy),
        serviceRoleArn: fn.codeDeployRole ?? getAtt(naming.codeDeployRole(), 'Arn'),
        alarmNames,
        autoRollback: fn.health.autoRollback,
        triggers: fn.health.triggers,
      }),
      { function: fn.name },
    );
    const invokesHooks = (hooks.invokedByCodeDeploy.get(fn.name)?.length ?? 0) > 0;
    if (fn.codeDeployRole !== undefined && (invokesHooks || fn.health.triggers.length > 0)) {
      warnings.push(
        `${fn.name}: its codeDeployRole is yours, so the plugin does not change it; it must allow lambda:InvokeFunction on the hooks` +
          `${fn.health.triggers.length > 0 ? ' and sns:Publish on the trigger topics' : ''}.`,
      );
    }
  }

  if (shifting.length > 0) added.add(naming.application(), application(), 'shared');
  if (ownRoleUsers.length > 0) {
    added.add(naming.codeDeployRole(), codeDeployRole(settings.permissionsBoundary), 'shared');
    if (roleGrants) added.add(naming.codeDeployPolicy(), roleGrants, 'shared');
  }
  const configs = new Map(
    shifting.flatMap(({ fn }) => {
      const custom = fn.strategy.kind === 'inPlace' ? undefined : customDeploymentConfig(fn.strategy);
      return custom ? [[custom.logicalId, custom.resource] as const] : [];
    }),
  );
  for (const logicalId of [...configs.keys()].sort())
    added.add(logicalId, configs.get(logicalId) as CfnResource, 'shared');
  for (const [logicalId, resource] of Object.entries(hooks.added)) added.add(logicalId, resource, 'shared');
  if (settings.dashboard && shifting.length > 0) added.add(naming.dashboard(), trafficDashboard(shifting), 'shared');
  else if (settings.dashboard)
    warnings.push('dashboard: no function shifts through CodeDeploy in this stage, so the stack gets no dashboard.');
  return { added, warnings };
}
