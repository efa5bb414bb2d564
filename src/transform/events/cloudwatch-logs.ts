/** `cloudwatchLog`: log subscription filters. */
import { show, type EventSourceModule } from './types';

export const cloudwatchLogs: EventSourceModule = {
  resourceTypes: ['AWS::Logs::SubscriptionFilter'],
  describe: (_logicalId, resource) => `cloudwatchLog ${show(resource.Properties?.LogGroupName)}`,
};
