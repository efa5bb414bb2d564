/** `iot` topic rules (every action) and `iotFleetProvisioning` pre-provisioning hooks. */
import { show, type EventSourceModule } from './types';

export const iot: EventSourceModule = {
  resourceTypes: ['AWS::IoT::TopicRule', 'AWS::IoT::ProvisioningTemplate'],
  describe: (logicalId, resource) => {
    if (resource.Type === 'AWS::IoT::ProvisioningTemplate') return `iotFleetProvisioning ${logicalId}`;
    const payload = resource.Properties?.TopicRulePayload as { Sql?: unknown } | undefined;
    return `iot ${payload?.Sql !== undefined ? show(payload.Sql) : logicalId}`;
  },
};
