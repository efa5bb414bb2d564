/** The plugin's own Lambda functions (generated hooks, the existing-source handler): inline Node.js code and a role. */
import { getAtt, partitionArn, type CfnResource } from '../types/cloudformation';

/** A role Lambda assumes, with logging (AWSLambdaBasicExecutionRole) and one inline policy. */
export function inlineFunctionRole(policyName: string, statements: unknown[]): CfnResource {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      ManagedPolicyArns: [partitionArn('iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')],
      Policies: [{ PolicyName: policyName, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

/** A Node.js 22 function whose code is inline in the template (`index.handler`). */
export function inlineFunction(options: {
  description: string;
  roleId: string;
  code: unknown;
  timeout: number;
  environment?: Record<string, unknown>;
}): CfnResource {
  return {
    Type: 'AWS::Lambda::Function',
    Properties: {
      Description: options.description,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: options.timeout,
      MemorySize: 256,
      Role: getAtt(options.roleId, 'Arn'),
      Code: { ZipFile: options.code },
      ...(options.environment && { Environment: { Variables: options.environment } }),
    },
  };
}
