/**
 * Existing S3 buckets, existing Cognito user pools and EventBridge without CloudFormation: the framework configures
 * them through its own custom resources, which build the function ARN from a `FunctionName` property and ignore
 * `targetAlias`. `<name>:<alias>` there yields the alias ARN (and Lambda's AddPermission accepts it), so the
 * notification, trigger or target is set on the alias.
 */
import type { CfnResource } from '../../types/cloudformation';
import { show, type EventSourceModule } from './types';

export const frameworkCustomResources: EventSourceModule = {
  resourceTypes: ['Custom::S3', 'Custom::CognitoUserPool', 'Custom::EventBridge'],
  describe: (logicalId, resource) => {
    const p = resource.Properties ?? {};
    if (resource.Type === 'Custom::S3') return `s3 ${show(p.BucketName)} (existing bucket)`;
    if (resource.Type === 'Custom::CognitoUserPool') return `cognitoUserPool ${show(p.UserPoolName)} (existing pool)`;
    return `eventBridge ${logicalId} (custom resource)`;
  },
  rewire: (resource, { fn, physicalName }): CfnResource | undefined => {
    if (physicalName === undefined || resource.Properties?.FunctionName !== physicalName) return undefined;
    return { ...resource, Properties: { ...resource.Properties, FunctionName: `${physicalName}:${fn.alias}` } };
  },
};

