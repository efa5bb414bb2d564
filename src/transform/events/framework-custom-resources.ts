/**
 * Existing S3 buckets, existing Cognito user pools and EventBridge without CloudFormation: the framework configures
 * them through its own custom resources, whose handlers build both the function ARN and the AddPermission statement
 * id from a `FunctionName` property and ignore `targetAlias`. No value of that property yields the alias: a
 * qualified name (`<name>:<alias>`) puts a ":" into the statement id, which Lambda rejects. So these stay on the
 * function, and the bypass check stops the build with what to do instead.
 */
import type { CfnResource } from '../../types/cloudformation';
import { show, type EventSourceModule } from './types';

const HINTS: Record<string, string> = {
  'Custom::S3':
    "the framework's custom resource for an existing bucket can only notify the function itself; define the bucket " +
    'notification on the alias yourself (a bucket in resources:), set deploymentSettings.enabled: false for this function, ' +
    'or accept that this bucket reaches new code at once by listing the resource in allowBypass',
  'Custom::CognitoUserPool':
    "the framework's custom resource for an existing user pool can only set the function itself as trigger; set " +
    'deploymentSettings.enabled: false for this function, or accept that this pool reaches new code at once by listing the resource in allowBypass',
  'Custom::EventBridge':
    'EventBridge through the framework\'s custom resource can only target the function itself; set provider.eventBridge.useCloudFormation: true ' +
    '(the default), whose rules target the alias',
};

export const frameworkCustomResources: EventSourceModule = {
  resourceTypes: Object.keys(HINTS),
  describe: (logicalId, resource) => {
    const p = resource.Properties ?? {};
    if (resource.Type === 'Custom::S3') return `s3 ${show(p.BucketName)} (existing bucket)`;
    if (resource.Type === 'Custom::CognitoUserPool') return `cognitoUserPool ${show(p.UserPoolName)} (existing pool)`;
    const rule = (p.EventBridgeConfig as { RuleName?: unknown } | undefined)?.RuleName;
    return `eventBridge rule ${rule === undefined ? logicalId : show(rule)} (custom resource)`;
  },
  bypassHint: (resource: CfnResource) => HINTS[resource.Type] as string,
};
