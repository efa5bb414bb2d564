/**
 * The traffic schedule of a CodeDeploy deployment, from its deployment configuration: the predefined Lambda
 * configurations are known by name; a custom one is described by its TrafficRoutingConfig (GetDeploymentConfig). Pure.
 */
import { parseStrategy, shortName, type Strategy } from '../config/strategy';

const PREDEFINED_PREFIX = 'CodeDeployDefault.Lambda';

/** The strategy of a predefined configuration (`CodeDeployDefault.LambdaCanary10Percent5Minutes`), else undefined. */
export function predefinedStrategy(configName: string): Strategy | undefined {
  if (!configName.startsWith(PREDEFINED_PREFIX)) return undefined;
  const parsed = parseStrategy(configName);
  return 'error' in parsed ? undefined : parsed;
}

/** The shape of CodeDeploy's TrafficRoutingConfig that matters here. */
export interface TrafficRouting {
  type?: string;
  timeBasedCanary?: { canaryPercentage?: number; canaryInterval?: number };
  timeBasedLinear?: { linearPercentage?: number; linearInterval?: number };
}

export function strategyOfRouting(routing: TrafficRouting | undefined): Strategy | undefined {
  switch (routing?.type) {
    case 'AllAtOnce':
      return { kind: 'allAtOnce' };
    case 'TimeBasedCanary': {
      const { canaryPercentage: percentage, canaryInterval: intervalMinutes } = routing.timeBasedCanary ?? {};
      return percentage !== undefined && intervalMinutes !== undefined
        ? { kind: 'canary', percentage, intervalMinutes }
        : undefined;
    }
    case 'TimeBasedLinear': {
      const { linearPercentage: percentage, linearInterval: intervalMinutes } = routing.timeBasedLinear ?? {};
      return percentage !== undefined && intervalMinutes !== undefined
        ? { kind: 'linear', percentage, intervalMinutes }
        : undefined;
    }
    default:
      return undefined;
  }
}

/** `Canary10Percent5Minutes` for a known schedule, else the configuration's own name. */
export function describeConfig(configName: string | undefined, strategy: Strategy | undefined): string {
  if (strategy) return shortName(strategy);
  return configName ?? 'unknown configuration';
}
