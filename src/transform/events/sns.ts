/** `sns`: subscriptions to existing topics, and topics the framework creates with their subscription inline. */
import { show, type EventSourceModule } from './types';

export const sns: EventSourceModule = {
  resourceTypes: ['AWS::SNS::Subscription', 'AWS::SNS::Topic'],
  describe: (logicalId, resource) =>
    resource.Type === 'AWS::SNS::Subscription'
      ? `sns ${show(resource.Properties?.TopicArn)}`
      : `sns topic ${resource.Properties?.TopicName !== undefined ? show(resource.Properties.TopicName) : logicalId}`,
};
