/**
 * A Lambda alias name is unique per function, and CloudFormation creates a resource before it deletes the one it
 * replaces: two aliases of one function with the same name can never both be created. This check stops the build when
 * the template already holds an alias of a shifted function with the name the plugin gives its own (one written in
 * `resources:`, or added by another plugin). The framework's provisioned-concurrency, SnapStart and (v4) durable
 * aliases are not in its way, nor v4's provisioned-concurrency alias named as the plugin's: the plugin's alias takes
 * their place (alias.ts). An alias of that name that the deployed stack holds
 * under another logical id is a deploy-time matter (deploy/alias-takeover.ts). Pure.
 */
import type { ShiftedFunction } from '../config/resolve';
import { ServerlessError } from '../errors';
import { naming } from '../naming';
import type { CfnResource } from '../types/cloudformation';
import { getAttTarget, refTarget } from './intrinsics';

/** The logical id of the function an alias resource belongs to, when its FunctionName names a function of the template. */
export function aliasFunctionId(resource: CfnResource): string | undefined {
  if (resource.Type !== 'AWS::Lambda::Alias') return undefined;
  const functionName = resource.Properties?.FunctionName;
  return refTarget(functionName) ?? getAttTarget(functionName, 'Arn');
}

/** Throws when another alias of a shifted function in `resources` has the name of the plugin's alias. */
export function checkAliasNamesFree(
  resources: Readonly<Record<string, CfnResource>>,
  shifted: readonly ShiftedFunction[],
): void {
  const byFunction = new Map(shifted.map((fn) => [fn.logicalId, fn]));
  for (const [logicalId, resource] of Object.entries(resources)) {
    const fn = byFunction.get(aliasFunctionId(resource) ?? '');
    if (!fn || resource.Properties?.Name !== fn.alias || logicalId === naming.alias(fn.normalizedName)) continue;
    throw new ServerlessError(
      `Function "${fn.name}": the template already has an alias named "${fn.alias}" of it, ${logicalId} (from resources: or ` +
        `another plugin), and serverless-traffic-shift adds its own alias of that name (deploymentSettings.alias). Lambda ` +
        `allows one alias of a name per function, so CloudFormation could not create both. Remove ${logicalId} from the ` +
        `template and refer to the plugin's alias as ${naming.alias(fn.normalizedName)} (if ${logicalId} is deployed, the ` +
        `next deploy keeps it, with its logical id and ARN, as the plugin's alias), or set deploymentSettings.alias to another name.`,
      'TRAFFIC_SHIFT_ALIAS_NAME_TAKEN',
    );
  }
}
