/** The `AWS::Lambda::Permission` every push event source needs: on the alias, or the source's calls are refused. */
import { show, type EventSourceModule } from './types';

export const permission: EventSourceModule = {
  resourceTypes: ['AWS::Lambda::Permission'],
  describe: (_logicalId, resource) => `permission for ${show(resource.Properties?.Principal)}`,
};
