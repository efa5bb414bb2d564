/** `httpApi` and `websocket` events: integrations and Lambda request authorizers (JWT authorizers call no function). */
import { show, type EventSourceModule } from './types';

export const apiGatewayV2: EventSourceModule = {
  resourceTypes: ['AWS::ApiGatewayV2::Integration', 'AWS::ApiGatewayV2::Authorizer'],
  describe: (logicalId, resource) => {
    const api = show(resource.Properties?.ApiId);
    const kind = api === 'WebsocketsApi' ? 'websocket' : 'httpApi';
    return resource.Type === 'AWS::ApiGatewayV2::Integration'
      ? `${kind} integration ${logicalId}`
      : `${kind} authorizer ${String(resource.Properties?.Name ?? logicalId)}`;
  },
};
