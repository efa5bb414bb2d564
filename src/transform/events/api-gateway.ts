/** `http` events (REST APIs): method integrations and Lambda authorizers. */
import type { EventSourceModule } from './types';

export const apiGateway: EventSourceModule = {
  resourceTypes: ['AWS::ApiGateway::Method', 'AWS::ApiGateway::Authorizer'],
  describe: (logicalId, resource) =>
    resource.Type === 'AWS::ApiGateway::Method'
      ? `http ${String(resource.Properties?.HttpMethod ?? '')} (${logicalId})`
      : `http authorizer ${String(resource.Properties?.Name ?? logicalId)}`,
};
