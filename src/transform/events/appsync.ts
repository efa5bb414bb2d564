/**
 * AppSync (serverless-appsync-plugin, or `resources:`): Lambda data sources and Lambda authorizers. The plugin's
 * `functionAlias` option points a data source, an authorizer and the authorizer's permission at
 * `<function ARN>:<alias>`, which the transform turns into the alias: the bypass check's hint says to set it.
 */
import { show, type EventSourceModule } from './types';

export const APPSYNC_HINT =
  "with serverless-appsync-plugin, set functionAlias: <the function's alias, live by default> beside functionName in the data " +
  "source's or the AWS_LAMBDA authentication's config";

export const appSync: EventSourceModule = {
  resourceTypes: ['AWS::AppSync::DataSource', 'AWS::AppSync::GraphQLApi'],
  describe: (logicalId, resource) =>
    resource.Type === 'AWS::AppSync::DataSource'
      ? `appSync data source ${resource.Properties?.Name !== undefined ? show(resource.Properties.Name) : logicalId}`
      : `appSync Lambda authorizer of ${resource.Properties?.Name !== undefined ? show(resource.Properties.Name) : logicalId}`,
  bypassHint: APPSYNC_HINT,
};
