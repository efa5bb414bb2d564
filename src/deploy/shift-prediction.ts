/**
 * Before the stack update: which functions this deploy will shift, and why the others will not. CodeDeploy starts a
 * deployment only when an existing alias with an UpdatePolicy moves to a new version; the framework names versions
 * by a hash of code and configuration, so a version logical id the stack already has means nothing changed. Pure.
 */
import type { CfnTemplate } from '../types/cloudformation';
import { getAttTarget } from '../transform/intrinsics';
import type { ServiceFunction, StackResource } from './stack-discovery';
import { aliasIdInTemplate } from './alias-takeover';

export type Expectation = { name: string; shifts: true } | { name: string; shifts: false; reason: string };

/**
 * @param deployed the stack's resources before the update; undefined when the stack did not exist before this deploy.
 */
export function expectShifts(
  template: CfnTemplate,
  functions: readonly ServiceFunction[],
  deployed: readonly StackResource[] | undefined,
): Expectation[] {
  const deployedIds = new Set((deployed ?? []).map((r) => r.logicalId));
  return functions.map((fn): Expectation => {
    const none = (reason: string): Expectation => ({ name: fn.name, shifts: false, reason });
    const aliasId = aliasIdInTemplate(template, fn);
    const aliasDeployed = deployed !== undefined && deployedIds.has(aliasId);
    const version = versionLogicalId(template.Resources[aliasId]?.Properties?.FunctionVersion);
    // In place or shifted alike: a version the stack has means nothing was published, so the alias stays.
    if (aliasDeployed && version !== undefined && deployedIds.has(version)) {
      return none(
        'its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift',
      );
    }
    if (fn.inPlace) {
      return none(
        `it moves in place in this stage (${fn.inPlaceReason ?? 'type InPlace'}): the alias goes to the new version at once, without CodeDeploy`,
      );
    }
    if (!aliasDeployed) {
      return none(
        `${deployed === undefined ? 'first deploy of the stack' : `first deploy of its alias "${fn.alias}"`}: CloudFormation creates the alias ` +
          'on the new version directly; gradual shifting starts with the next deploy that changes its code or configuration',
      );
    }
    return { name: fn.name, shifts: true };
  });
}

/**
 * The version an alias goes to: `Fn::GetAtt [<version>, Version]`, or, once serverless-plugin-split-stacks moved the
 * version into a nested stack, `Fn::GetAtt [<nested stack>, Outputs.<version>Version]` (its outputs are named after
 * what they carry). Anything else: undefined, and the deploy expects a shift.
 */
function versionLogicalId(functionVersion: unknown): string | undefined {
  const direct = getAttTarget(functionVersion, 'Version');
  if (direct !== undefined) return direct;
  const getAtt = (functionVersion as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  const attribute = Array.isArray(getAtt) ? getAtt[1] : undefined;
  const output = typeof attribute === 'string' ? /^Outputs\.(.+)Version$/.exec(attribute) : null;
  return output?.[1];
}
