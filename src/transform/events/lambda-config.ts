/**
 * Function URLs (`url:`) and asynchronous invocation settings (`destinations`): resources that name the function and
 * the alias apart, as `FunctionName`/`TargetFunctionArn` plus `Qualifier`. The framework qualifies EventInvokeConfig
 * itself; a function URL it points at the alias ARN, which is rewritten to the documented form (function ARN and
 * `Qualifier`), which needs a DependsOn on the alias in place of the Ref that ordered it after the alias.
 */
import { naming } from '../../naming';
import { dependsOnList, refTarget } from '../intrinsics';
import type { EventSourceModule } from './types';

export const lambdaConfig: EventSourceModule = {
  resourceTypes: ['AWS::Lambda::Url', 'AWS::Lambda::EventInvokeConfig'],
  describe: (_logicalId, resource) =>
    resource.Type === 'AWS::Lambda::Url' ? 'function url' : 'destinations (asynchronous invocation settings)',
  rewire: (resource, { fn }) => {
    const aliasId = naming.alias(fn.normalizedName);
    if (resource.Type !== 'AWS::Lambda::Url' || refTarget(resource.Properties?.TargetFunctionArn) !== aliasId)
      return undefined;
    const dependsOn = [...new Set([...dependsOnList(resource.DependsOn), aliasId])];
    return {
      ...resource,
      Properties: {
        ...resource.Properties,
        TargetFunctionArn: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] },
        Qualifier: fn.alias,
      },
      DependsOn: dependsOn.length === 1 ? aliasId : dependsOn,
    };
  },
};
