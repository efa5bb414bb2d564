/** `httpApi` and `websocket` events: integrations and Lambda request authorizers (JWT authorizers call no function). */
import type { CfnTemplate } from '../../types/cloudformation';
import { isObject, refTarget } from '../intrinsics';
import { show, type EventSourceModule } from './types';

/** Route keys of the routes whose Target is `integrations/<Ref integration>`, in template order. */
function routeKeys(template: CfnTemplate, integrationId: string): string[] {
  const keys: string[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::ApiGatewayV2::Route') continue;
    const { Target: target, RouteKey: key } = resource.Properties ?? {};
    const join = isObject(target) ? target['Fn::Join'] : undefined;
    const parts = Array.isArray(join) && join[0] === '/' && Array.isArray(join[1]) ? (join[1] as unknown[]) : [];
    if (parts.length === 2 && parts[0] === 'integrations' && refTarget(parts[1]) === integrationId && typeof key === 'string') keys.push(key);
  }
  return keys;
}

export const apiGatewayV2: EventSourceModule = {
  resourceTypes: ['AWS::ApiGatewayV2::Integration', 'AWS::ApiGatewayV2::Authorizer'],
  describe: (logicalId, resource, template) => {
    const api = show(resource.Properties?.ApiId);
    const kind = api === 'WebsocketsApi' ? 'websocket' : 'httpApi';
    if (resource.Type !== 'AWS::ApiGatewayV2::Integration') return `${kind} authorizer ${String(resource.Properties?.Name ?? logicalId)}`;
    const keys = routeKeys(template, logicalId);
    return keys.length > 0 ? `${kind} ${keys.join(', ')}` : `${kind} integration ${logicalId}`;
  },
};
