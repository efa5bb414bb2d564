/**
 * AppSync (serverless-appsync-plugin, or `resources:`): Lambda data sources (`LambdaConfig.LambdaFunctionArn`) and
 * Lambda authorizers (`LambdaAuthorizerConfig.AuthorizerUri`, also of additional providers) that name a shifted
 * function invoke its alias instead; both accept an alias ARN. serverless-appsync-plugin's own `functionAlias` gives
 * `<function ARN>:<alias>`, which the retargeting already turns into the alias. The authorizer's permission follows
 * its API (event-sources.ts). A resource listed in allowBypass is left as it is.
 */
import { naming } from '../../naming';
import { getAttTarget, isObject } from '../intrinsics';
import { show, type EventSourceModule } from './types';

export const appSync: EventSourceModule = {
  resourceTypes: ['AWS::AppSync::DataSource', 'AWS::AppSync::GraphQLApi'],
  describe: (logicalId, resource) =>
    resource.Type === 'AWS::AppSync::DataSource'
      ? `appSync data source ${resource.Properties?.Name !== undefined ? show(resource.Properties.Name) : logicalId}`
      : `appSync Lambda authorizer of ${resource.Properties?.Name !== undefined ? show(resource.Properties.Name) : logicalId}`,
  rewire: (resource, { fn }, logicalId) => {
    if (fn.allowBypass.includes(logicalId)) return undefined;
    const alias = { Ref: naming.alias(fn.normalizedName) };
    const properties = resource.Properties ?? {};
    /** `{ ...config, [key]: alias }` when `config[key]` names the function; undefined otherwise. */
    const pointed = (config: unknown, key: string): Record<string, unknown> | undefined =>
      isObject(config) && getAttTarget(config[key], 'Arn') === fn.logicalId ? { ...config, [key]: alias } : undefined;
    if (resource.Type === 'AWS::AppSync::DataSource') {
      const config = pointed(properties.LambdaConfig, 'LambdaFunctionArn');
      return config ? { ...resource, Properties: { ...properties, LambdaConfig: config } } : undefined;
    }
    const next: Record<string, unknown> = { ...properties };
    let changed = false;
    const authorizer = pointed(properties.LambdaAuthorizerConfig, 'AuthorizerUri');
    if (authorizer) {
      next.LambdaAuthorizerConfig = authorizer;
      changed = true;
    }
    if (Array.isArray(properties.AdditionalAuthenticationProviders)) {
      next.AdditionalAuthenticationProviders = properties.AdditionalAuthenticationProviders.map((provider: unknown) => {
        const config = isObject(provider) ? pointed(provider.LambdaAuthorizerConfig, 'AuthorizerUri') : undefined;
        if (!config) return provider;
        changed = true;
        return { ...(provider as Record<string, unknown>), LambdaAuthorizerConfig: config };
      });
    }
    return changed ? { ...resource, Properties: next } : undefined;
  },
};
