/**
 * The CodeDeploy service role, one per stack. AWSCodeDeployRoleForLambdaLimited lets CodeDeploy move the alias and
 * read alarms; it is the narrower of the two AWS managed policies (no sns:Publish), never AWSLambda_FullAccess.
 */
import { partitionArn, type CfnResource, type Intrinsic } from '../types/cloudformation';

export function codeDeployRole(permissionsBoundary: string | Intrinsic | undefined): CfnResource {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'codedeploy.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      ManagedPolicyArns: [partitionArn('iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited')],
      ...(permissionsBoundary !== undefined && { PermissionsBoundary: permissionsBoundary }),
    },
  };
}
