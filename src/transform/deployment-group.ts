/** One CodeDeploy deployment group per shifted function: the strategy, the role and the rollback rules. */
import type { CfnResource } from '../types/cloudformation';
import { ref } from '../types/cloudformation';
import { naming } from '../naming';

export interface DeploymentGroupInput {
  deploymentConfigName: string | { Ref: string };
  serviceRoleArn: unknown;
}

export function deploymentGroup(input: DeploymentGroupInput): CfnResource {
  return {
    Type: 'AWS::CodeDeploy::DeploymentGroup',
    Properties: {
      ApplicationName: ref(naming.application()),
      DeploymentConfigName: input.deploymentConfigName,
      DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
      ServiceRoleArn: input.serviceRoleArn,
      AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE'] },
      // Written even with no alarms: omitting it would leave alarms from an earlier deploy active on the group.
      AlarmConfiguration: { Enabled: false },
    },
  };
}

export function application(): CfnResource {
  return { Type: 'AWS::CodeDeploy::Application', Properties: { ComputePlatform: 'Lambda' } };
}
