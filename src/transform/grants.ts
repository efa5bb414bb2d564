/**
 * Grants follow the alias. Once an event source calls the alias, an IAM statement that allows an action on the
 * function's unqualified ARN no longer covers the call (a qualified ARN is a different resource to IAM): destinations
 * that invoke another function, the framework's custom resources that add permissions. Wherever an Allow statement
 * names a shifted function's unqualified ARN, the alias ARN is added beside it. Nothing is removed. Pure.
 */
import type { ShiftedFunction } from '../config/resolve';
import { naming } from '../naming';
import type { CfnResource, CfnTemplate } from '../types/cloudformation';
import { isObject } from './intrinsics';

interface Variant {
  /** The same grant, on the alias. */
  alias: unknown;
}

export function grantAliases(template: CfnTemplate, functions: readonly ShiftedFunction[]): CfnTemplate {
  const variants = new Map<string, Variant>();
  for (const fn of functions) {
    const aliasArn = { Ref: naming.alias(fn.normalizedName) };
    variants.set(JSON.stringify({ 'Fn::GetAtt': [fn.logicalId, 'Arn'] }), { alias: aliasArn });
    const name = template.Resources[fn.logicalId]?.Properties?.FunctionName;
    if (typeof name !== 'string') continue;
    for (const scope of ['${AWS::Region}:${AWS::AccountId}', '*:*']) {
      const arn = `arn:\${AWS::Partition}:lambda:${scope}:function:${name}`;
      variants.set(JSON.stringify({ 'Fn::Sub': arn }), { alias: { 'Fn::Sub': `${arn}:${fn.alias}` } });
    }
  }

  // Copied on the first change only.
  let resources: Record<string, CfnResource> | undefined;
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const next = withAliasGrants(resource, variants);
    if (next !== resource) (resources ??= Object.assign({}, template.Resources))[logicalId] = next;
  }
  return resources ? { ...template, Resources: resources } : template;
}

function withAliasGrants(resource: CfnResource, variants: Map<string, Variant>): CfnResource {
  const properties = resource.Properties;
  if (!properties) return resource;
  if (resource.Type === 'AWS::IAM::Role' && Array.isArray(properties.Policies)) {
    const policies = properties.Policies.map((policy: unknown) =>
      isObject(policy) && isObject(policy.PolicyDocument)
        ? { ...policy, PolicyDocument: withDocument(policy.PolicyDocument, variants) }
        : policy,
    );
    return policies.some((p, i) => p !== (properties.Policies as unknown[])[i])
      ? { ...resource, Properties: { ...properties, Policies: policies } }
      : resource;
  }
  if (
    (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') &&
    isObject(properties.PolicyDocument)
  ) {
    const document = withDocument(properties.PolicyDocument, variants);
    return document === properties.PolicyDocument
      ? resource
      : { ...resource, Properties: { ...properties, PolicyDocument: document } };
  }
  return resource;
}

function withDocument(document: Record<string, unknown>, variants: Map<string, Variant>): Record<string, unknown> {
  if (!Array.isArray(document.Statement)) return document;
  let changed = false;
  const statements = document.Statement.map((statement: unknown) => {
    if (!isObject(statement) || statement.Effect !== 'Allow' || statement.Resource === undefined) return statement;
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    const present = new Set(resources.map((r) => JSON.stringify(r)));
    const added = resources.flatMap((r) => {
      const variant = variants.get(JSON.stringify(r));
      return variant && !present.has(JSON.stringify(variant.alias)) ? [variant.alias] : [];
    });
    if (added.length === 0) return statement;
    changed = true;
    return { ...statement, Resource: [...resources, ...added] };
  });
  return changed ? { ...document, Statement: statements } : document;
}
