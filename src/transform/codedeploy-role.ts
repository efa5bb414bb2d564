/**
 * The CodeDeploy service role, one per stack. AWSCodeDeployRoleForLambdaLimited lets CodeDeploy move the alias and
 * read alarms; it is the narrower of the two AWS managed policies (no sns:Publish), never AWSLambda_FullAccess.
 */
import { naming } from '../naming';
import { partitionArn, ref, type CfnResource, type Intrinsic } from '../types/cloudformation';

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

export interface RoleGrants {
  /** Hook functions CodeDeploy invokes (the managed policy allows only functions named CodeDeployHook_*). */
  invokes: unknown[];
  /** SNS topics of triggerConfigurations (the Limited policy has no sns:Publish). */
  publishes: unknown[];
}

/**
 * What the role needs beyond the managed policy, as a policy of its own: inline on the role it would make the role
 * depend on the hooks, whose own permissions name the deployment groups, which name the role — a cycle.
 */
export function codeDeployPolicy(grants: RoleGrants): CfnResource | undefined {
  const statements = [
    ...(grants.invokes.length > 0
      ? [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: grants.invokes }]
      : []),
    ...(grants.publishes.length > 0 ? [{ Effect: 'Allow', Action: 'sns:Publish', Resource: grants.publishes }] : []),
  ];
  if (statements.length === 0) return undefined;
  return {
    Type: 'AWS::IAM::Policy',
    Properties: {
      PolicyName: 'traffic-shift-hooks-and-triggers',
      Roles: [ref(naming.codeDeployRole())],
      PolicyDocument: { Version: '2012-10-17', Statement: statements },
    },
  };
}
