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
 */
import type { ShiftedFunction } from '../config/resolve';
import { naming } from '../naming';
import { existingSourcesHandlerCode } from '../lambda/inline-code';
import { getAtt, partitionArn, ref, type CfnResource } from '../types/cloudformation';
import { inlineFunction, inlineFunctionRole } from './inline-function';
import { dependsOnList, getAttTarget } from './intrinsics';

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
  const result: ExistingSources = { removed: [], replacements: new Map(), shared: {} };
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
    replacements[naming.existingSource(logicalId)] = {
      Type: takeOver,
      Properties: { ServiceToken: getAtt(naming.existingSourcesHandler(), 'Arn'), FunctionArn: aliasRef, ...kept },
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
