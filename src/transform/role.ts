/**
 * The CodeDeploy service role, one per stack. AWSCodeDeployRoleForLambdaLimited lets CodeDeploy move the alias and
 * read alarms; it is the narrower of the two AWS managed policies (no sns:Publish), never AWSLambda_FullAccess.
 */
import { partitionArn, type CfnResource, type Intrinsic } from '../types/cloudformation';

export interface RoleGrants {
  /** Hook functions CodeDeploy invokes (the managed policy allows only functions named CodeDeployHook_*). */
  invokes: unknown[];
  /** SNS topics of triggerConfigurations (the Limited policy has no sns:Publish). */
  publishes: unknown[];
}

export function codeDeployRole(permissionsBoundary: string | Intrinsic | undefined, grants: RoleGrants): CfnResource {
  const statements = [
    ...(grants.invokes.length > 0 ? [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: grants.invokes }] : []),
    ...(grants.publishes.length > 0 ? [{ Effect: 'Allow', Action: 'sns:Publish', Resource: grants.publishes }] : []),
  ];
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'codedeploy.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      ManagedPolicyArns: [partitionArn('iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited')],
      ...(statements.length > 0 && {
        Policies: [{ PolicyName: 'traffic-shift-hooks-and-triggers', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
      }),
      ...(permissionsBoundary !== undefined && { PermissionsBoundary: permissionsBoundary }),
    },
  };
}
