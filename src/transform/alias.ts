/**
 * The alias that carries a shifted function's traffic, on the version the framework published. When CodeDeploy
 * shifts it, `UpdatePolicy.CodeDeployLambdaAliasUpdate` names the application and deployment group.
 */
import type { ShiftedFunction } from '../config/resolve';
import { describeValue, ServerlessError } from '../errors';
import { naming } from '../naming';
import { getAtt, ref, type CfnResource, type CfnTemplate } from '../types/cloudformation';
import { refTarget } from './intrinsics';

export function aliasResource(
  fn: ShiftedFunction,
  versionLogicalId: string,
  extraProperties: Record<string, unknown>,
  hooks: Record<string, unknown> = {},
): CfnResource {
  const shifts = fn.strategy.kind !== 'inPlace';
  return {
    Type: 'AWS::Lambda::Alias',
    Properties: {
      FunctionName: ref(fn.logicalId),
      FunctionVersion: getAtt(versionLogicalId, 'Version'),
      Name: fn.alias,
      ...extraProperties,
    },
    ...(shifts && {
      UpdatePolicy: {
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: ref(naming.application()),
          DeploymentGroupName: ref(naming.deploymentGroup(fn.normalizedName)),
          ...hooks,
        },
      },
    }),
  };
}

/** Function logical id → logical ids of its AWS::Lambda::Version resources: one pass over the template for all functions. */
export function versionsByFunction(template: CfnTemplate): Map<string, string[]> {
  return byFunction(template.Resources, 'AWS::Lambda::Version');
}

/** Function logical id → logical ids of the AWS::Lambda::Alias resources on it, in template order: one pass. */
export function aliasesByFunction(resources: Readonly<Record<string, CfnResource>>): Map<string, string[]> {
  return byFunction(resources, 'AWS::Lambda::Alias');
}

function byFunction(resources: Readonly<Record<string, CfnResource>>, type: string): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== type) continue;
    const functionId = refTarget(resource.Properties?.FunctionName);
    if (functionId === undefined) continue;
    const list = byId.get(functionId);
    if (list) list.push(id);
    else byId.set(functionId, [id]);
  }
  return byId;
}

/** The version the framework publishes for the function (the plugin turns versioning on for shifted functions). */
export function findVersion(versionsOf: Map<string, string[]>, fn: ShiftedFunction): string {
  const versions = versionsOf.get(fn.logicalId) ?? [];
  if (versions.length === 1) return versions[0] as string;
  throw new ServerlessError(
    versions.length === 0
      ? `Function "${fn.name}" has no AWS::Lambda::Version in the compiled template, so there is nothing to shift traffic to. ` +
          'serverless-traffic-shift turns versioning on for the functions it shifts; another plugin may have removed the version.'
      : `Function "${fn.name}" has ${versions.length} AWS::Lambda::Version resources (${versions.join(', ')}); ` +
          'the alias can follow only one. Remove the extra version from resources:.',
    'TRAFFIC_SHIFT_MISSING_RESOURCE',
  );
}

/**
 * Removes the aliases the framework adds for provisioned concurrency, SnapStart and durable functions: two aliases on
 * one function would keep serving a version beside the canary (and the framework sends the function's events through
 * its own). Their settings move to the plugin's alias. v4's provisioned-concurrency alias under a name of the user's
 * is absorbed when that name is the shifted alias's; under another name it is refused: the user chose that alias,
 * and every event would go through it, past the rollout.
 */
export function absorbFrameworkAliases(
  resources: Record<string, CfnResource>,
  fn: ShiftedFunction,
  /** aliasesByFunction(resources), made once for all functions: a scan of the template per function is quadratic. */
  aliasesOf: Map<string, string[]> = aliasesByFunction(resources),
): Record<string, unknown> {
  const moved: Record<string, unknown> = {};
  const absorb = (logicalId: string): void => {
    const config = resources[logicalId]?.Properties?.ProvisionedConcurrencyConfig;
    if (config !== undefined) moved.ProvisionedConcurrencyConfig = config;
    delete resources[logicalId];
  };
  for (const { logicalId } of naming.frameworkAliases(fn.normalizedName)) if (resources[logicalId]) absorb(logicalId);
  for (const logicalId of aliasesOf.get(fn.logicalId) ?? []) {
    const alias = resources[logicalId];
    if (alias === undefined || !naming.isNamedProvisionedAlias(fn.normalizedName, logicalId)) continue;
    const name = alias.Properties?.Name;
    if (name !== fn.alias) {
      throw new ServerlessError(
        `Function "${fn.name}" has its provisioned concurrency on an alias of its own, ${describeValue(name)} ` +
          `(functions.${fn.name}.provisionedConcurrency.alias, ${logicalId}): the framework sends the function's events ` +
          'through that alias, which serves each new version at once, past the rollout. The provisioned concurrency of a ' +
          `shifted function goes on the alias that carries its traffic, "${fn.alias}": remove provisionedConcurrency.alias ` +
          `(the plugin moves the concurrency to "${fn.alias}") or set it to "${fn.alias}".`,
        'TRAFFIC_SHIFT_BYPASS',
      );
    }
    absorb(logicalId);
  }
  return moved;
}
