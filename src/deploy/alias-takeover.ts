/**
 * Before the template is uploaded: the plugin's alias takes over an alias of the same name that the deployed stack
 * holds under another logical id (serverless-plugin-canary-deployments' `<Fn>Alias<alias>`, the framework's
 * `<Fn>ProvConcLambdaAlias` named `provisioned`, an alias once written in `resources:`). CloudFormation creates a
 * resource under a new logical id before it deletes the one that left the template, and Lambda allows one alias of a
 * name per function, so the alias under a new id would fail the update ("Alias already exists"). Under the deployed
 * id, CloudFormation updates the alias in place: it keeps its name and ARN, whatever invokes it keeps its target, and
 * a new version moves through CodeDeploy like in any other deploy. `sls package` makes no AWS call, so this happens
 * when `sls deploy` has read the stack, and again on every deploy after it.
 *
 * Also, for the words before the update: what the deploy removes from the stack that carries or steers traffic
 * (aliases, CodeDeploy resources, IAM roles), such as the old plugin's application, deployment groups and role. Pure.
 */
import { ServerlessError } from '../errors';
import { naming } from '../naming';
import { aliasFunctionId } from '../transform/alias-names';
import { dependsOnList, isObject, mapValue } from '../transform/intrinsics';
import type { CfnResource, CfnTemplate } from '../types/cloudformation';
import type { ServiceFunction, StackResource } from './stack-discovery';

/** What identifies a function's alias: the function in the template and in the stack, and the alias name. */
export type AliasOwner = Pick<ServiceFunction, 'name' | 'logicalId' | 'normalizedName' | 'alias'>;

/** An alias that stays under the logical id the deployed stack gave it. */
export interface KeptAlias {
  /** The function's name in serverless.yml. */
  name: string;
  alias: string;
  /** The deployed logical id the alias keeps. */
  logicalId: string;
  /** The id the plugin gives the alias in a stack that has no alias of that name (`<Fn>TrafficShiftAlias`). */
  planned: string;
  /** An earlier deploy took it over already: the stack has the function's deployment group of this plugin. */
  again: boolean;
}

export interface Takeover {
  template: CfnTemplate;
  kept: KeptAlias[];
}

/** `arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live` → the function's name and the alias's. */
function aliasOfArn(arn: string | undefined): { functionName: string; alias: string } | undefined {
  const parts = (arn ?? '').split(':');
  return parts.length === 8 && parts[5] === 'function'
    ? { functionName: parts[6] as string, alias: parts[7] as string }
    : undefined;
}

/** The alias resource of the stack that carries `alias` of the function deployed as `functionName`. */
export function deployedAlias(
  deployed: readonly StackResource[],
  functionName: string,
  alias: string,
): StackResource | undefined {
  return deployed.find((r) => {
    if (r.type !== 'AWS::Lambda::Alias') return false;
    const parsed = aliasOfArn(r.physicalId);
    return parsed?.functionName === functionName && parsed.alias === alias;
  });
}

/** The logical id of the function's alias in a template: the plugin's id, or the deployed id it took over. */
export function aliasIdInTemplate(template: CfnTemplate, fn: AliasOwner): string {
  const planned = naming.alias(fn.normalizedName);
  if (planned in template.Resources) return planned;
  const found = Object.entries(template.Resources).find(
    ([, resource]) => aliasFunctionId(resource) === fn.logicalId && resource.Properties?.Name === fn.alias,
  );
  return found ? found[0] : planned;
}

/**
 * The template with each function's alias under the logical id the deployed stack gives an alias of that name, if
 * another. Throws when it cannot be (that id names another resource of the template, or the alias is not in this
 * template but in a nested stack): the update would fail.
 */
export function takeOverDeployedAliases(
  template: CfnTemplate,
  functions: readonly AliasOwner[],
  deployed: readonly StackResource[],
): Takeover {
  const physical = new Map(deployed.map((r) => [r.logicalId, r.physicalId]));
  const renames = new Map<string, string>();
  const kept: KeptAlias[] = [];
  for (const fn of functions) {
    const functionName = physical.get(fn.logicalId);
    if (!functionName) continue;
    const holder = deployedAlias(deployed, functionName, fn.alias);
    const planned = naming.alias(fn.normalizedName);
    if (!holder || holder.logicalId === planned) continue;
    const taken = (why: string): ServerlessError =>
      new ServerlessError(
        `Function "${fn.name}": the deployed stack holds its alias "${fn.alias}" as ${holder.logicalId}, and ${why}. ` +
          `CloudFormation would create the new alias before deleting the old one, and Lambda allows one alias of a name ` +
          `per function, so the update would fail. Nothing was deployed.`,
        'TRAFFIC_SHIFT_ALIAS_NAME_TAKEN',
      );
    if (!(planned in template.Resources)) {
      throw taken(
        `the plugin's alias ${planned} is not in the root template (moved to a nested stack), so it cannot take over that id`,
      );
    }
    if (holder.logicalId in template.Resources) {
      throw taken(
        `the template uses ${holder.logicalId} for a ${template.Resources[holder.logicalId]?.Type}, so the plugin's alias cannot take over that id: ` +
          `rename that resource, or set deploymentSettings.alias to another name`,
      );
    }
    renames.set(planned, holder.logicalId);
    const again = physical.has(naming.deploymentGroup(fn.normalizedName));
    kept.push({ name: fn.name, alias: fn.alias, logicalId: holder.logicalId, planned, again });
  }
  return { template: renames.size === 0 ? template : renameLogicalIds(template, renames), kept };
}

/**
 * Renames resources and every reference to them: `Ref`, `Fn::GetAtt` (both forms), `${Id}` and `${Id.Attr}` in
 * `Fn::Sub` (not where a variable of the Sub shadows the id), and `DependsOn`; in resources and outputs.
 */
export function renameLogicalIds(template: CfnTemplate, renames: ReadonlyMap<string, string>): CfnTemplate {
  const renamed = (id: string): string => renames.get(id) ?? id;
  const inSub = (text: string, locals: ReadonlySet<string>): string =>
    text.replace(/\$\{([A-Za-z0-9]+)((?:\.[^}]*)?)\}/g, (whole, id: string, attribute: string) =>
      renames.has(id) && !locals.has(id) ? `\${${renamed(id)}${attribute}}` : whole,
    );
  const replace = (node: unknown): unknown => {
    if (!isObject(node) || Object.keys(node).length !== 1) return undefined;
    if (typeof node.Ref === 'string') return renames.has(node.Ref) ? { Ref: renamed(node.Ref) } : undefined;
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && renames.has(getAtt[0])) {
      return { 'Fn::GetAtt': [renamed(getAtt[0]), ...getAtt.slice(1).map((part) => mapValue(part, replace))] };
    }
    if (typeof getAtt === 'string') {
      const dot = getAtt.indexOf('.');
      const id = dot < 0 ? getAtt : getAtt.slice(0, dot);
      return renames.has(id) ? { 'Fn::GetAtt': `${renamed(id)}${getAtt.slice(id.length)}` } : undefined;
    }
    const sub = node['Fn::Sub'];
    if (typeof sub === 'string') {
      const text = inSub(sub, new Set());
      return text === sub ? node : { 'Fn::Sub': text };
    }
    if (Array.isArray(sub) && typeof sub[0] === 'string') {
      const [text, variables, ...rest] = sub as [string, unknown, ...unknown[]];
      const nextText = inSub(text, new Set(isObject(variables) ? Object.keys(variables) : []));
      const nextVariables = mapValue(variables, replace);
      return nextText === text && nextVariables === variables
        ? node
        : { 'Fn::Sub': [nextText, nextVariables, ...rest] };
    }
    return undefined;
  };
  const resources: Record<string, CfnResource> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const next = mapValue(resource, replace) as CfnResource;
    const dependsOn = next.DependsOn;
    resources[renamed(logicalId)] =
      dependsOn === undefined || !dependsOnList(dependsOn).some((id) => renames.has(id))
        ? next
        : {
            ...next,
            DependsOn: typeof dependsOn === 'string' ? renamed(dependsOn) : dependsOnList(dependsOn).map(renamed),
          };
  }
  return {
    ...template,
    Resources: resources,
    ...(template.Outputs !== undefined && { Outputs: mapValue(template.Outputs, replace) as Record<string, unknown> }),
  };
}

/** Resource types a deploy of this plugin names when it removes them, in the order it names them. */
const ANNOUNCED_TYPES = [
  'AWS::Lambda::Alias',
  'AWS::CodeDeploy::Application',
  'AWS::CodeDeploy::DeploymentGroup',
  'AWS::CodeDeploy::DeploymentConfig',
  'AWS::IAM::Role',
];

/**
 * The resources of those types that the deployed stack has and the template does not: aliases first (what callers
 * lose), then the CodeDeploy resources and roles, each type by logical id, whatever order the stack lists them in.
 * Undefined when the stack has nested stacks: their resources are not in the root template, so what leaves cannot be
 * told from it.
 */
export function removedResources(
  deployed: readonly StackResource[],
  template: CfnTemplate,
): StackResource[] | undefined {
  const nested = (type: string | undefined) => type === 'AWS::CloudFormation::Stack';
  if (deployed.some((r) => nested(r.type)) || Object.values(template.Resources).some((r) => nested(r.Type))) {
    return undefined;
  }
  const rank = (r: StackResource): number => ANNOUNCED_TYPES.indexOf(r.type);
  return deployed
    .filter((r) => rank(r) >= 0 && r.logicalId && !(r.logicalId in template.Resources))
    .sort((a, b) => rank(a) - rank(b) || (a.logicalId < b.logicalId ? -1 : a.logicalId > b.logicalId ? 1 : 0));
}

/**
 * The words before the update: each alias kept under its deployed id (for the deploy that takes it over; later
 * deploys only in verbose output), then what the update removes.
 */
export function takeoverLines(
  kept: readonly KeptAlias[],
  removed: readonly StackResource[],
): { notices: string[]; info: string[] } {
  const line = (k: KeptAlias): string =>
    `${k.name}: alias "${k.alias}" keeps its deployed logical id ${k.logicalId} (instead of ${k.planned}): ` +
    'CloudFormation updates it in place, with the same name and ARN.';
  const notices = kept.filter((k) => !k.again).map(line);
  if (removed.length > 0) {
    const described = removed.map((r) => {
      const alias = r.type === 'AWS::Lambda::Alias' ? aliasOfArn(r.physicalId) : undefined;
      return alias
        ? `${r.logicalId} (alias "${alias.alias}" of ${alias.functionName}: whatever calls it by that name fails once it is gone)`
        : `${r.logicalId} (${r.type})`;
    });
    notices.push(`this deploy removes from the stack: ${described.join(', ')}.`);
  }
  return { notices, info: kept.filter((k) => k.again).map(line) };
}
