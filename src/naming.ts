/**
 * Every logical id the plugin adds, in one place. All start from the framework's normalised function name, use a
 * `TrafficShift` infix, and so never meet the framework's own ids (it reserves `CodeDeployApplication`,
 * `CodeDeployDeploymentGroup`, `CodeDeployRole`, `<Fn>ProvConcLambdaAlias`, `<Fn>ProvConc<Name>LambdaAlias`,
 * `<Fn>SnapStartLambdaAlias`, `<Fn>DurableLambdaAlias`).
 */
import type { GeneratedAlarmKind } from './config/health-checks';
import { shortName, type Strategy } from './config/strategy';

export const naming = {
  application: (): string => 'TrafficShiftApplication',
  codeDeployRole: (): string => 'TrafficShiftCodeDeployRole',
  codeDeployPolicy: (): string => 'TrafficShiftCodeDeployPolicy',
  deploymentConfig: (strategy: Strategy): string => `TrafficShiftConfig${shortName(strategy)}`,
  alias: (normalizedName: string): string => `${normalizedName}TrafficShiftAlias`,
  deploymentGroup: (normalizedName: string): string => `${normalizedName}TrafficShiftDeploymentGroup`,
  generatedAlarm: (normalizedName: string, kind: GeneratedAlarmKind): string =>
    `${normalizedName}TrafficShift${kind.charAt(0).toUpperCase()}${kind.slice(1)}Alarm`,
  /** Grants a hook function of the service what it needs to report to CodeDeploy. */
  hookPolicy: (hookNormalizedName: string): string => `${hookNormalizedName}TrafficShiftHookPolicy`,
  /** A role of its own for a hook that shared the service's role, so other functions get no hook permissions. */
  hookRole: (hookNormalizedName: string): string => `${hookNormalizedName}TrafficShiftHookRole`,
  /** The hooks the plugin generates: smoke tests before traffic moves, the bake after. */
  smokeTestHook: (): string => 'TrafficShiftSmokeTestHook',
  bakeHook: (): string => 'TrafficShiftBakeHook',
  generatedHookRole: (): string => 'TrafficShiftHookRole',
  bakeHookSelfInvokePolicy: (): string => 'TrafficShiftBakeHookSelfInvokePolicy',
  /** The stage's CloudWatch dashboard of the new versions against the previous ones (`dashboard: true`). */
  dashboard: (): string => 'TrafficShiftDashboard',
  /** The plugin's custom resource that takes over the framework's `Custom::S3` / `Custom::CognitoUserPool` of a shifted function. */
  existingSource: (frameworkLogicalId: string): string => `${frameworkLogicalId}TrafficShift`,
  existingSourcesHandler: (): string => 'TrafficShiftExistingSourcesHandler',
  existingSourcesRole: (): string => 'TrafficShiftExistingSourcesRole',
  /**
   * The aliases the framework itself adds for provisioned concurrency, SnapStart and (v4) durable functions, which
   * the plugin's alias replaces.
   */
  frameworkAliases: (normalizedName: string): { logicalId: string; name: string }[] => [
    { logicalId: `${normalizedName}ProvConcLambdaAlias`, name: 'provisioned' },
    { logicalId: `${normalizedName}SnapStartLambdaAlias`, name: 'snapstart' },
    { logicalId: `${normalizedName}DurableLambdaAlias`, name: 'durable' },
  ],
  /**
   * v4's provisioned-concurrency alias under a name the user chose (`provisionedConcurrency: { alias }`):
   * `<Fn>ProvConc<Name>LambdaAlias`.
   */
  isNamedProvisionedAlias: (normalizedName: string, logicalId: string): boolean =>
    logicalId.startsWith(`${normalizedName}ProvConc`) &&
    logicalId.endsWith('LambdaAlias') &&
    logicalId.length > `${normalizedName}ProvConcLambdaAlias`.length,
};
