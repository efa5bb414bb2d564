/**
 * Every logical id the plugin adds, in one place. All start from the framework's normalised function name, use a
 * `TrafficShift` infix, and so never meet the framework's own ids (it reserves `CodeDeployApplication`,
 * `CodeDeployDeploymentGroup`, `CodeDeployRole`, `<Fn>ProvConcLambdaAlias`, `<Fn>SnapStartLambdaAlias`).
 */
import { shortName, type Strategy } from './config/strategy';

export const naming = {
  application: (): string => 'TrafficShiftApplication',
  codeDeployRole: (): string => 'TrafficShiftCodeDeployRole',
  deploymentConfig: (strategy: Strategy): string => `TrafficShiftConfig${shortName(strategy)}`,
  alias: (normalizedName: string): string => `${normalizedName}TrafficShiftAlias`,
  deploymentGroup: (normalizedName: string): string => `${normalizedName}TrafficShiftDeploymentGroup`,
  /** The aliases the framework itself adds for provisioned concurrency and SnapStart, which the plugin's alias replaces. */
  frameworkAliases: (normalizedName: string): { logicalId: string; name: string }[] => [
    { logicalId: `${normalizedName}ProvConcLambdaAlias`, name: 'provisioned' },
    { logicalId: `${normalizedName}SnapStartLambdaAlias`, name: 'snapstart' },
  ],
};
