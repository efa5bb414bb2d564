/**
 * AppSync (serverless-appsync-plugin, or `resources:`): Lambda data sources (`LambdaConfig.LambdaFunctionArn`) and
 * Lambda authorizers (`LambdaAuthorizerConfig.AuthorizerUri`, also of additional providers) that name a shifted
 * function invoke its alias instead; both accept an alias ARN. serverless-appsync-plugin's own `functionAlias` gives
 * `<function ARN>:<alias>`, which the retargeting already turns into the alias. The authorizer's permission follows
 * its API (event-sources.ts). A resource listed in allowBypass is left as it is.
 */
import { pointPropertiesAtAlias, show, type EventSourceModule } from './types';

const INVOKING_PROPERTIES: Record<string, readonly string[]> = {
  'AWS::AppSync::DataSource': ['LambdaConfig'],
  'AWS::AppSync::GraphQLApi': ['LambdaAuthorizerConfig', 'AdditionalAuthenticationProviders'],
};

export const appSync: EventSourceModule = {
  resourceTypes: Object.keys(INVOKING_PROPERTIES),
  describe: (logicalId, resource) =>
    resource.Type === 'AWS::AppSync::DataSource'
      ? `appSync data source ${resource.Properties?.Name !== undefined ? show(resource.Properties.Name) : logicalId}`
      : `appSync Lambda authorizer of ${resource.Properties?.Name !== undefined ? show(resource.Properties.Name) : logicalId}`,
  rewire: (resource, { fn }, logicalId) =>
    fn.allowBypass.includes(logicalId)
      ? undefined
      : pointPropertiesAtAlias(resource, INVOKING_PROPERTIES[resource.Type] ?? [], fn),
};
