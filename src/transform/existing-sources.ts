/**
 * Existing S3 buckets and existing Cognito user pools of shifted functions. The framework configures them through its
 * own custom resources, whose handlers take a function name and cannot target an alias: the Lambda permission they
 * add has a statement id built from that name, and the ':' of `<name>:<alias>` is not allowed in it. For a shifted
 * function, each such resource is replaced by one of the plugin's, served by one inline handler
 * (src/lambda/existing-sources-handler.js), which writes the alias ARN into the bucket's notifications or the pool's
 * triggers and adds the permission on the alias. Pure.
 *
 * Once nothing else uses the framework's handler function (nodejs18.x, a runtime Lambda no longer lets anyone create or
 * update: with it in the template, creating the stack fails, and so does a deploy that updates it), it goes too, with its log group and the framework's
 * custom-resource role when they served it alone. On the first deploy with the plugin, CloudFormation's clean-up
 * deletes the framework's resource through that handler before the handler itself, as the resource depended on it,
 * after the plugin's resource has taken over the bucket's or pool's settings. A resource listed in the function's
 * allowBypass is left as the framework made it, and so is its handler.
 *
 * Every writer of one bucket's notifications or one pool's triggers reads the whole configuration and writes it back,
 * and neither API offers a conditional write: two writers running at once lose one's update. The framework chains its
 * resources on one bucket or pool with DependsOn; the replacements keep one strict order among all writers of a bucket
 * or pool, theirs and the framework's alike, and every DependsOn that named a replaced resource names its replacement.
 */
import type { ShiftedFunction } from '../config/resolve';
import { naming } from '../naming';
import { existingSourcesHandlerCode } from '../lambda/inline-code';
import { getAtt, partitionArn, ref, type CfnResource } from '../types/cloudformation';
import { inlineFunction, inlineFunctionRole } from './inline-function';
import { dependsOnList, getAttTarget, isObject } from './intrinsics';

/** The framework's type → the plugin's. Every property but ServiceToken and FunctionName carries over unchanged. */
const TAKEN_OVER: Record<string, string> = {
  'Custom::S3': 'Custom::TrafficShiftExistingBucket',
  'Custom::CognitoUserPool': 'Custom::TrafficShiftExistingUserPool',
};

export interface ExistingSources {
  /** Framework resources to remove. */
  removed: string[];
  /** Their replacements, per function name. */
  replacements: Map<string, Record<string, CfnResource>>;
  /** The handler and its role, shared by the stack; empty when nothing was taken over. */
  shared: Record<string, CfnResource>;
  /**
   * Resources left in place whose DependsOn changed: a name of a replaced resource follows it to its replacement, and
   * a writer of a bucket or pool waits for the writer before it.
   */
  reordered: Record<string, CfnResource>;
}

export function takeOverExistingSources(
  resources: Readonly<Record<string, CfnResource>>,
  functions: readonly ShiftedFunction[],
): ExistingSources {
  const byPhysicalName = new Map<string, ShiftedFunction>();
  for (const fn of functions) {
    const name = resources[fn.logicalId]?.Properties?.FunctionName;
    if (typeof name === 'string') byPhysicalName.set(name, fn);
  }
  const result: ExistingSources = { removed: [], replacements: new Map(), shared: {}, reordered: {} };
  // What the handler's role must reach, each named once.
  const aliases = new Map<string, unknown>();
  const buckets = new Map<string, unknown>();
  const kmsKeys = new Map<string, unknown>();
  const once = (into: Map<string, unknown>, value: unknown): void => void into.set(JSON.stringify(value), value);
  let pools = false;
  const handlers = new Set<string>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    const takeOver = TAKEN_OVER[resource.Type];
    const properties = resource.Properties ?? {};
    const fn =
      takeOver && typeof properties.FunctionName === 'string' ? byPhysicalName.get(properties.FunctionName) : undefined;
    if (!takeOver || !fn || fn.allowBypass.includes(logicalId)) continue;
    const aliasRef = ref(naming.alias(fn.normalizedName));
    once(aliases, aliasRef);
    result.removed.push(logicalId);
    const handler = getAttTarget(properties.ServiceToken, 'Arn');
    if (handler !== undefined) handlers.add(handler);
    const replacements = result.replacements.get(fn.name) ?? {};
    result.replacements.set(fn.name, replacements);
    const { ServiceToken: _token, FunctionName: _name, ...kept } = properties;
    // What the framework's resource waited for, but its handler and the function (the alias's Ref implies it).
    const dependsOn = dependsOnList(resource.DependsOn).filter((id) => id !== handler && id !== fn.logicalId);
    replacements[naming.existingSource(logicalId)] = {
      Type: takeOver,
      Properties: { ServiceToken: getAtt(naming.existingSourcesHandler(), 'Arn'), FunctionArn: aliasRef, ...kept },
      ...(dependsOn.length > 0 && { DependsOn: dependsOn }),
    };
    if (resource.Type === 'Custom::S3')
      once(buckets, { 'Fn::Join': ['', ['arn:', ref('AWS::Partition'), ':s3:::', properties.BucketName]] });
    else {
      pools = true;
      // Custom sender triggers encrypt with the pool's KMS key: setting one lets Cognito use the key through a grant.
      for (const config of Array.isArray(properties.UserPoolConfigs)
        ? (properties.UserPoolConfigs as { KMSKeyID?: unknown }[])
        : []) {
        if (config?.KMSKeyID !== undefined) once(kmsKeys, config.KMSKeyID);
      }
    }
  }
  if (result.removed.length === 0) return result;
  result.removed.push(...unusedFrameworkHandlers(resources, result.removed, handlers));
  result.reordered = orderWriters(resources, result);

  const statements: unknown[] = [
    { Effect: 'Allow', Action: ['lambda:AddPermission', 'lambda:RemovePermission'], Resource: [...aliases.values()] },
  ];
  if (buckets.size > 0)
    statements.push({
      Effect: 'Allow',
      Action: ['s3:GetBucketNotification', 's3:PutBucketNotification'],
      Resource: [...buckets.values()],
    });
  if (pools) {
    statements.push(
      // ListUserPools has no resource-level permissions; the pool is found by its name.
      { Effect: 'Allow', Action: 'cognito-idp:ListUserPools', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['cognito-idp:DescribeUserPool', 'cognito-idp:UpdateUserPool'],
        Resource: partitionArn('cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*'),
      },
      // UpdateUserPool passes the pool's SMS role back to Cognito.
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: partitionArn('iam::${AWS::AccountId}:role/*'),
        Condition: { StringEquals: { 'iam:PassedToService': 'cognito-idp.amazonaws.com' } },
      },
    );
    if (kmsKeys.size > 0)
      statements.push({ Effect: 'Allow', Action: 'kms:CreateGrant', Resource: [...kmsKeys.values()] });
  }
  const roleId = naming.existingSourcesRole();
  result.shared[roleId] = inlineFunctionRole('traffic-shift-existing-sources', statements);
  result.shared[naming.existingSourcesHandler()] = inlineFunction({
    description:
      'serverless-traffic-shift: points existing S3 buckets and Cognito user pools at the aliases of shifted functions',
    roleId,
    timeout: 300,
    code: existingSourcesHandlerCode(),
  });
  return result;
}

/**
 * The framework's handler functions that served only the resources taken over, and then their log groups and role
 * where nothing else names them. A mention anywhere in the rest of the template (Ref, GetAtt, Sub, DependsOn) keeps
 * a resource.
 */
function unusedFrameworkHandlers(
  resources: Readonly<Record<string, CfnResource>>,
  removed: readonly string[],
  handlers: ReadonlySet<string>,
): string[] {
  const gone = new Set(removed);
  const mentioned = (id: string): boolean =>
    Object.entries(resources).some(
      ([other, resource]) => !gone.has(other) && other !== id && JSON.stringify(resource).includes(id),
    );
  const unused: string[] = [];
  const drop = (id: string): void => {
    gone.add(id);
    unused.push(id);
  };
  for (const handler of handlers) {
    const resource = resources[handler];
    if (resource?.Type !== 'AWS::Lambda::Function' || mentioned(handler)) continue;
    drop(handler);
    for (const dependency of dependsOnList(resource.DependsOn)) {
      if (resources[dependency]?.Type === 'AWS::Logs::LogGroup' && !mentioned(dependency)) drop(dependency);
    }
    const role = getAttTarget(resource.Properties?.Role, 'Arn');
    if (role !== undefined && resources[role]?.Type === 'AWS::IAM::Role' && !mentioned(role)) drop(role);
  }
  return unused;
}

/** Resource types that read and write back a bucket's notification configuration or a pool's triggers. */
const WRITERS: Record<string, 'bucket' | 'pool'> = {
  'Custom::S3': 'bucket',
  'Custom::TrafficShiftExistingBucket': 'bucket',
  'Custom::CognitoUserPool': 'pool',
  'Custom::TrafficShiftExistingUserPool': 'pool',
};

/**
 * Makes every DependsOn that names a replaced resource name its replacement (in the replacements too), then chains the
 * writers of each bucket and pool: each waits for the one before it, in an order that keeps every dependency the
 * template already has (a writer some resource before it depends on comes first), else in template order. Returns the
 * resources left in place whose DependsOn changed; the replacements are changed where they are.
 */
function orderWriters(
  resources: Readonly<Record<string, CfnResource>>,
  result: ExistingSources,
): Record<string, CfnResource> {
  const renamed = new Map<string, string>();
  const replacements: Record<string, CfnResource> = {};
  for (const byId of result.replacements.values()) Object.assign(replacements, byId);
  for (const id of result.removed)
    if (naming.existingSource(id) in replacements) renamed.set(id, naming.existingSource(id));
  const gone = new Set(result.removed);

  // The template as it will be, in the original order: each replacement where its framework resource was.
  const final = new Map<string, CfnResource>();
  for (const [id, resource] of Object.entries(resources)) {
    const replacement = renamed.get(id);
    if (replacement !== undefined) final.set(replacement, replacements[replacement] as CfnResource);
    else if (!gone.has(id)) final.set(id, resource);
  }
  const changed = new Map<string, CfnResource>();
  const update = (id: string, resource: CfnResource): void => {
    final.set(id, resource);
    changed.set(id, resource);
  };
  for (const [id, resource] of final) {
    const before = dependsOnList(resource.DependsOn);
    if (!before.some((d) => renamed.has(d))) continue;
    update(
      id,
      withDependsOn(
        resource,
        before.map((d) => renamed.get(d) ?? d),
      ),
    );
  }

  const groups = new Map<string, string[]>();
  for (const [id, resource] of final) {
    const kind = WRITERS[resource.Type];
    if (kind === undefined) continue;
    const target = kind === 'bucket' ? resource.Properties?.BucketName : resource.Properties?.UserPoolName;
    const key = `${kind} ${JSON.stringify(target)}`;
    groups.set(key, [...(groups.get(key) ?? []), id]);
  }
  for (const writers of groups.values()) {
    if (writers.length < 2) continue;
    const chain = dependencyOrder(writers, final);
    for (let i = 1; i < chain.length; i++) {
      const id = chain[i] as string;
      const resource = final.get(id) as CfnResource;
      const before = dependsOnList(resource.DependsOn);
      const previous = chain[i - 1] as string;
      if (!before.includes(previous)) update(id, withDependsOn(resource, [...before, previous]));
    }
  }

  const reordered: Record<string, CfnResource> = {};
  for (const [id, resource] of changed) {
    if (id in replacements) {
      const functionName = [...result.replacements.entries()].find(([, byId]) => id in byId)?.[0] as string;
      (result.replacements.get(functionName) as Record<string, CfnResource>)[id] = resource;
    } else reordered[id] = resource;
  }
  return reordered;
}

function withDependsOn(resource: CfnResource, dependsOn: string[]): CfnResource {
  const unique = [...new Set(dependsOn)];
  const { DependsOn: _old, ...rest } = resource;
  return unique.length === 0 ? rest : { ...rest, DependsOn: unique };
}

/**
 * The writers in an order every dependency of the template keeps: a writer comes after every writer it depends on,
 * directly or through other resources (DependsOn, Ref, Fn::GetAtt, Fn::Sub); otherwise in template order.
 */
function dependencyOrder(writers: readonly string[], template: ReadonlyMap<string, CfnResource>): string[] {
  const reaches = new Map<string, Set<string>>();
  const dependenciesOf = (id: string): Set<string> => {
    const found = new Set<string>();
    const stack = [id];
    while (stack.length > 0) {
      const resource = template.get(stack.pop() as string);
      if (resource === undefined) continue;
      for (const next of directDependencies(resource)) {
        if (!found.has(next) && template.has(next)) {
          found.add(next);
          stack.push(next);
        }
      }
    }
    return found;
  };
  for (const id of writers) reaches.set(id, dependenciesOf(id));
  const ordered: string[] = [];
  const waiting = [...writers];
  while (waiting.length > 0) {
    // The first writer in template order that waits for no writer still waiting; the template has no cycle.
    const next =
      waiting.find((id) => !waiting.some((other) => other !== id && reaches.get(id)?.has(other))) ?? waiting[0];
    ordered.push(next as string);
    waiting.splice(waiting.indexOf(next as string), 1);
  }
  return ordered;
}

/** The logical ids a resource names: DependsOn, Ref, Fn::GetAtt and the variables of Fn::Sub. */
function directDependencies(resource: CfnResource): string[] {
  const ids = [...dependsOnList(resource.DependsOn)];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isObject(node)) return;
    if (typeof node.Ref === 'string') ids.push(node.Ref);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') ids.push(getAtt[0]);
    else if (typeof getAtt === 'string') ids.push(getAtt.split('.')[0] as string);
    const sub = node['Fn::Sub'];
    const text = Array.isArray(sub) ? sub[0] : sub;
    if (typeof text === 'string') {
      for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) ids.push((match[1] as string).split('.')[0] as string);
    }
    Object.values(node).forEach(visit);
  };
  visit(resource.Properties);
  return ids;
}
