/**
 * The alias that carries a shifted function's traffic, on the version the framework published. When CodeDeploy
 * shifts it, `UpdatePolicy.CodeDeployLambdaAliasUpdate` names the application and deployment group.
 */
import type { ShiftedFunction } from '../config/resolve';
import { ServerlessError } from '../errors';
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
  const versions = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Version') continue;
    const functionId = refTarget(resource.Properties?.FunctionName);
    if (functionId === undefined) continue;
    const list = versions.get(functionId);
    if (list) list.push(id);
    else versions.set(functionId, [id]);
  }
  return versions;
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
 * Removes the aliases the framework adds for provisioned concurrency and SnapStart: two aliases on one function
 * would keep serving the old version beside the canary. Their settings move to the plugin's alias.
 */
export function absorbFrameworkAliases(
  resources: Record<string, CfnResource>,
  fn: ShiftedFunction,
): Record<string, unknown> {
  const moved: Record<string, unknown> = {};
  for (const { logicalId } of naming.frameworkAliases(fn.normalizedName)) {
    const alias = resources[logicalId];
    if (!alias) continue;
    const config = alias.Properties?.ProvisionedConcurrencyConfig;
    if (config !== undefined) moved.ProvisionedConcurrencyConfig = config;
    delete resources[logicalId];
  }
  return moved;
}
