/** One CodeDeploy deployment group per shifted function: the strategy, the role, the alarms and the rollback rules. */
import type { AutoRollback, Trigger } from '../config/health-checks';
import { naming } from '../naming';
import { ref, type CfnResource } from '../types/cloudformation';

export interface DeploymentGroupInput {
  deploymentConfigName: string | { Ref: string };
  serviceRoleArn: unknown;
  /** Alarm names: Refs of alarms in the template, or literal names of existing alarms. */
  alarmNames: unknown[];
  autoRollback: AutoRollback;
  triggers: Trigger[];
}

export function deploymentGroup(input: DeploymentGroupInput): CfnResource {
  return {
    Type: 'AWS::CodeDeploy::DeploymentGroup',
    Properties: {
      ApplicationName: ref(naming.application()),
      DeploymentConfigName: input.deploymentConfigName,
      DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
      ServiceRoleArn: input.serviceRoleArn,
      AutoRollbackConfiguration: autoRollbackConfiguration(input.autoRollback, input.alarmNames.length > 0),
      // Written even with no alarms: omitting it would leave alarms from an earlier deploy active on the group.
      AlarmConfiguration:
        input.alarmNames.length > 0
          ? { Enabled: true, IgnorePollAlarmFailure: false, Alarms: input.alarmNames.map((name) => ({ Name: name })) }
          : { Enabled: false },
      ...(input.triggers.length > 0 && {
        TriggerConfigurations: input.triggers.map((t) => ({
          TriggerName: t.name,
          TriggerTargetArn: t.targetArn,
          TriggerEvents: t.events,
        })),
      }),
    },
  };
}

export function rollbackEvents(rollback: AutoRollback, hasAlarms: boolean): string[] {
  return [
    ...(rollback.onFailure ? ['DEPLOYMENT_FAILURE'] : []),
    ...((rollback.onAlarm ?? hasAlarms) ? ['DEPLOYMENT_STOP_ON_ALARM'] : []),
    ...(rollback.onManualStop ? ['DEPLOYMENT_STOP_ON_REQUEST'] : []),
  ];
}

function autoRollbackConfiguration(rollback: AutoRollback, hasAlarms: boolean): Record<string, unknown> {
  const events = rollbackEvents(rollback, hasAlarms);
  return events.length > 0 ? { Enabled: true, Events: events } : { Enabled: false };
}

export function application(): CfnResource {
  return { Type: 'AWS::CodeDeploy::Application', Properties: { ComputePlatform: 'Lambda' } };
}
