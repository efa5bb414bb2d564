/** Builders for unit tests: a service description and a compiled template shaped like the framework's output. */
import type { FunctionDescription, ServiceDescription } from '../../src/config/resolve';
import type { CfnTemplate } from '../../src/types/cloudformation';

const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export function describeFunction(
  name: string,
  settings?: unknown,
  extra: Partial<FunctionDescription> = {},
): FunctionDescription {
  const normalizedName = upperFirst(name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore'));
  return { settings, logicalId: `${normalizedName}LambdaFunction`, normalizedName, ...extra };
}

export function service(
  functions: Record<string, unknown>,
  options: { defaults?: unknown; stage?: string; versionFunctions?: boolean } = {},
): ServiceDescription {
  return {
    stage: options.stage ?? 'dev',
    versionFunctions: options.versionFunctions ?? true,
    defaults: options.defaults,
    functions: Object.fromEntries(
      Object.entries(functions).map(([name, settings]) => [name, describeFunction(name, settings)]),
    ),
  };
}

/**
 * A template as serverless 3.40 compiles it for functions whose events the plugin asked to go through the alias
 * (`targetAlias`): the function, its version, and an http event's method and permission.
 */
export function compiledTemplate(
  functionNames: string[],
  /** `provisionedAlias`: the alias name v4 gives the provisioned functions' alias (`provisionedConcurrency.alias`). */
  options: { alias?: string; provisioned?: string[]; provisionedAlias?: string } = {},
): CfnTemplate {
  const resources: CfnTemplate['Resources'] = {};
  for (const name of functionNames) {
    const fn = upperFirst(name);
    const provisionedName = options.provisionedAlias ?? 'provisioned';
    const qualifier = options.provisioned?.includes(name) ? provisionedName : (options.alias ?? 'live');
    const aliasId = !options.provisioned?.includes(name)
      ? `${fn}TrafficShiftAlias`
      : options.provisionedAlias === undefined
        ? `${fn}ProvConcLambdaAlias`
        : `${fn}ProvConc${upperFirst(options.provisionedAlias)}LambdaAlias`;
    resources[`${fn}LambdaFunction`] = {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Handler: 'bootstrap',
        Runtime: 'provided.al2023',
        Role: { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] },
      },
    };
    resources[`${fn}LambdaVersionAbc123`] = {
      Type: 'AWS::Lambda::Version',
      DeletionPolicy: 'Retain',
      Properties: { FunctionName: { Ref: `${fn}LambdaFunction` }, CodeSha256: 'abc=' },
    };
    if (options.provisioned?.includes(name)) {
      resources[aliasId] = {
        Type: 'AWS::Lambda::Alias',
        Properties: {
          FunctionName: { Ref: `${fn}LambdaFunction` },
          FunctionVersion: { 'Fn::GetAtt': [`${fn}LambdaVersionAbc123`, 'Version'] },
          Name: provisionedName,
          ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 3 },
        },
        DependsOn: `${fn}LambdaFunction`,
      };
    }
    resources[`ApiGatewayMethod${fn}Get`] = {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        HttpMethod: 'GET',
        Integration: {
          Type: 'AWS_PROXY',
          Uri: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':apigateway:',
                { Ref: 'AWS::Region' },
                ':lambda:path/2015-03-31/functions/',
                { 'Fn::GetAtt': [`${fn}LambdaFunction`, 'Arn'] },
                ':',
                qualifier,
                '/invocations',
              ],
            ],
          },
        },
      },
      DependsOn: [`${fn}LambdaPermissionApiGateway`, aliasId],
    };
    resources[`${fn}LambdaPermissionApiGateway`] = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: { 'Fn::Join': [':', [{ 'Fn::GetAtt': [`${fn}LambdaFunction`, 'Arn'] }, qualifier]] },
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
      },
      DependsOn: aliasId,
    };
  }
  return { AWSTemplateFormatVersion: '2010-09-09', Resources: resources, Outputs: {} };
}
