/**
 * Existing S3 buckets, existing Cognito user pools and EventBridge without CloudFormation: the framework configures
 * them through its own custom resources, whose handlers build both the function ARN and the AddPermission statement
 * id from a `FunctionName` property and ignore `targetAlias` (a qualified `<name>:<alias>` puts a ":" into the
 * statement id, which Lambda rejects). For buckets and pools the plugin replaces them by its own custom resources,
 * which name the alias (see ../existing-sources.ts); EventBridge's stays on the function, and the bypass check stops
 * the build with what to do instead.
 */
import type { CfnResource } from '../../types/cloudformation';
import { show, type EventSourceModule } from './types';

const EVENT_BRIDGE_HINT =
  "EventBridge through the framework's custom resource can only target the function itself; set provider.eventBridge.useCloudFormation: true " +
  "(the default), whose rules target the alias (the custom resource's handler also runs on nodejs18.x, which Lambda no longer creates or updates)";

export const frameworkCustomResources: EventSourceModule = {
  resourceTypes: [
    'Custom::S3',
    'Custom::TrafficShiftExistingBucket',
    'Custom::CognitoUserPool',
    'Custom::TrafficShiftExistingUserPool',
    'Custom::EventBridge',
  ],
  describe: (logicalId, resource) => {
    const p = resource.Properties ?? {};
    if (resource.Type === 'Custom::S3' || resource.Type === 'Custom::TrafficShiftExistingBucket')
      return `s3 ${show(p.BucketName)} (existing bucket)`;
    if (resource.Type === 'Custom::CognitoUserPool' || resource.Type === 'Custom::TrafficShiftExistingUserPool') {
      return `cognitoUserPool ${show(p.UserPoolName)} (existing pool)`;
    }
    const rule = (p.EventBridgeConfig as { RuleName?: unknown } | undefined)?.RuleName;
    return `eventBridge rule ${rule === undefined ? logicalId : show(rule)} (custom resource)`;
  },
  bypassHint: (resource: CfnResource) => (resource.Type === 'Custom::EventBridge' ? EVENT_BRIDGE_HINT : undefined),
};
