/** The deployment configuration a strategy runs with: a predefined name, or a custom resource shared by its users. */
import { predefinedConfigName, type Strategy } from '../config/strategy';
import { naming } from '../naming';
import { ref, type CfnResource } from '../types/cloudformation';

type ShiftingStrategy = Exclude<Strategy, { kind: 'inPlace' }>;

/** What a deployment group's `DeploymentConfigName` is set to. */
export function deploymentConfigName(strategy: ShiftingStrategy): string | { Ref: string } {
  return predefinedConfigName(strategy) ?? ref(naming.deploymentConfig(strategy));
}

/**
 * The custom configuration for a shape CodeDeploy does not predefine. No fixed name: its properties are
 * replace-only, so CloudFormation must be free to name a replacement.
 */
export function customDeploymentConfig(
  strategy: ShiftingStrategy,
): { logicalId: string; resource: CfnResource } | undefined {
  if (strategy.kind !== 'canary' && strategy.kind !== 'linear') return undefined;
  if (predefinedConfigName(strategy) !== undefined) return undefined;
  const trafficRouting =
    strategy.kind === 'canary'
      ? {
          Type: 'TimeBasedCanary',
          TimeBasedCanary: { CanaryPercentage: strategy.percentage, CanaryInterval: strategy.intervalMinutes },
        }
      : {
          Type: 'TimeBasedLinear',
          TimeBasedLinear: { LinearPercentage: strategy.percentage, LinearInterval: strategy.intervalMinutes },
        };
  return {
    logicalId: naming.deploymentConfig(strategy),
    resource: {
      Type: 'AWS::CodeDeploy::DeploymentConfig',
      Properties: { ComputePlatform: 'Lambda', TrafficRoutingConfig: trafficRouting },
    },
  };
}
