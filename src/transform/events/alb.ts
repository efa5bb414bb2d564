/** `alb`: Lambda target groups. */
import type { EventSourceModule } from './types';

export const alb: EventSourceModule = {
  resourceTypes: ['AWS::ElasticLoadBalancingV2::TargetGroup'],
  describe: (logicalId) => `alb target group ${logicalId}`,
};
