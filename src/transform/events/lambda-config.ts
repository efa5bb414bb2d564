/** Function URLs (`url:`) and asynchronous invocation settings (`destinations`), both qualified by the alias. */
import type { EventSourceModule } from './types';

export const lambdaConfig: EventSourceModule = {
  resourceTypes: ['AWS::Lambda::Url', 'AWS::Lambda::EventInvokeConfig'],
  describe: (_logicalId, resource) => (resource.Type === 'AWS::Lambda::Url' ? 'function url' : 'destinations (asynchronous invocation settings)'),
};
