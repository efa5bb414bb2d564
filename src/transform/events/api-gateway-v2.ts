/** `httpApi` and `websocket` events: integrations and Lambda request authorizers (JWT authorizers call no function). */
import type { CfnTemplate } from '../../types/cloudformation';
import { isObject, refTarget } from '../intrinsics';
import { show, type EventSourceModule } from './types';

/** Per template, integration id → the route keys of the routes whose Target is `integrations/<Ref integration>`. */
const routeKeysByTemplate = new WeakMap<CfnTemplate, Map<string, string[]>>();

/** Route keys of the integration's routes, in template order; the routes are read once per template. */
function routeKeys(template: CfnTemplate, integrationId: string): string[] {
  let byIntegration = routeKeysByTemplate.get(template);
  if (!byIntegration) {
    byIntegration = new Map();
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::ApiGatewayV2::Route') continue;
      const { Target: target, RouteKey: key } = resource.Properties ?? {};
      const join = isObject(target) ? target['Fn::Join'] : undefined;
      const parts = Array.isArray(join) && join[0] === '/' && Array.isArray(join[1]) ? (join[1] as unknown[]) : [];
      const integration = parts.length === 2 && parts[0] === 'integrations' ? refTarget(parts[1]) : undefined;
      if (integration !== undefined && typeof key === 'string')
        byIntegration.set(integration, [...(byIntegration.get(integration) ?? []), key]);
    }
    routeKeysByTemplate.set(template, byIntegration);
  }
  return byIntegration.get(integrationId) ?? [];
}

export const apiGatewayV2: EventSourceModule = {
  resourceTypes: ['AWS::ApiGatewayV2::Integration', 'AWS::ApiGatewayV2::Authorizer'],
  describe: (logicalId, resource, template) => {
    const api = show(resource.Properties?.ApiId);
    const kind = api === 'WebsocketsApi' ? 'websocket' : 'httpApi';
    if (resource.Type !== 'AWS::ApiGatewayV2::Integration')
      return `${kind} authorizer ${String(resource.Properties?.Name ?? logicalId)}`;
    const keys = routeKeys(template, logicalId);
    return keys.length > 0 ? `${kind} ${keys.join(', ')}` : `${kind} integration ${logicalId}`;
  },
};
