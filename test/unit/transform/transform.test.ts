import { resolveSettings } from '../../../src/config/resolve';
import { ServerlessError } from '../../../src/errors';
import { applyTrafficShift } from '../../../src/transform';
import type { CfnTemplate } from '../../../src/types/cloudformation';
import { compiledTemplate, service } from '../../support/service';

/** The foundation, without the default alarm (covered in health.test.ts). */
const canary = { type: 'Canary10Percent5Minutes', newVersionAlarms: false };

function transform(
  functions: Record<string, unknown>,
  template: CfnTemplate,
  options: Parameters<typeof service>[1] = {},
) {
  return applyTrafficShift(resolveSettings(service(functions, options)), template);
}

const ROLE_POLICY = {
  'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited',
};

describe('applyTrafficShift', () => {
  it('gives a shifted function an alias on its version, a deployment group, and the stack an application and role', () => {
    const { template } = transform({ api: canary }, compiledTemplate(['api']));
    const r = template.Resources;
    expect(r.ApiTrafficShiftAlias).toEqual({
      Type: 'AWS::Lambda::Alias',
      Properties: {
        FunctionName: { Ref: 'ApiLambdaFunction' },
        FunctionVersion: { 'Fn::GetAtt': ['ApiLambdaVersionAbc123', 'Version'] },
        Name: 'live',
      },
      UpdatePolicy: {
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: { Ref: 'TrafficShiftApplication' },
          DeploymentGroupName: { Ref: 'ApiTrafficShiftDeploymentGroup' },
        },
      },
    });
    expect(r.ApiTrafficShiftDeploymentGroup).toEqual({
      Type: 'AWS::CodeDeploy::DeploymentGroup',
      Properties: {
        ApplicationName: { Ref: 'TrafficShiftApplication' },
        DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
        ServiceRoleArn: { 'Fn::GetAtt': ['TrafficShiftCodeDeployRole', 'Arn'] },
        AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] },
        AlarmConfiguration: { Enabled: false },
      },
    });
    expect(r.TrafficShiftApplication).toEqual({
      Type: 'AWS::CodeDeploy::Application',
      Properties: { ComputePlatform: 'Lambda' },
    });
    expect(r.TrafficShiftCodeDeployRole).toEqual({
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'codedeploy.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
        ManagedPolicyArns: [ROLE_POLICY],
      },
    });
  });

  it('routes the events the framework wired to the alias through a Ref of the alias', () => {
    const { template } = transform({ api: canary }, compiledTemplate(['api']));
    const permission = template.Resources.ApiLambdaPermissionApiGateway;
    expect(permission?.Properties?.FunctionName).toEqual({ Ref: 'ApiTrafficShiftAlias' });
    // The framework's DependsOn on the alias is dropped: the Ref already orders it (cfn-lint W3005).
    expect(permission?.DependsOn).toBeUndefined();
    const uri = (template.Resources.ApiGatewayMethodApiGet?.Properties?.Integration as { Uri: unknown }).Uri;
    expect(uri).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':apigateway:',
          { Ref: 'AWS::Region' },
          ':lambda:path/2015-03-31/functions/',
          { Ref: 'ApiTrafficShiftAlias' },
          '/invocations',
        ],
      ],
    });
  });

  it('replaces the framework provisioned-concurrency alias and moves its setting onto the shifted alias', () => {
    const { template } = transform({ api: canary }, compiledTemplate(['api'], { provisioned: ['api'] }));
    expect(template.Resources.ApiProvConcLambdaAlias).toBeUndefined();
    expect(template.Resources.ApiTrafficShiftAlias?.Properties?.ProvisionedConcurrencyConfig).toEqual({
      ProvisionedConcurrentExecutions: 3,
    });
    expect(template.Resources.ApiLambdaPermissionApiGateway?.Properties?.FunctionName).toEqual({
      Ref: 'ApiTrafficShiftAlias',
    });
    expect(template.Resources.ApiGatewayMethodApiGet?.DependsOn).toBe('ApiLambdaPermissionApiGateway');
    expect(JSON.stringify(template)).not.toContain('provisioned');
  });

  it("absorbs v4's provisioned-concurrency alias named as the shifted alias (provisionedConcurrency.alias: live)", () => {
    const input = compiledTemplate(['api'], { provisioned: ['api'], provisionedAlias: 'live' });
    expect(input.Resources.ApiProvConcLiveLambdaAlias?.Properties?.Name).toBe('live');
    const { template } = transform({ api: canary }, input);
    expect(Object.keys(template.Resources).filter((id) => id.includes('ProvConc'))).toEqual([]);
    expect(template.Resources.ApiTrafficShiftAlias?.Properties?.ProvisionedConcurrencyConfig).toEqual({
      ProvisionedConcurrentExecutions: 3,
    });
    expect(template.Resources.ApiLambdaPermissionApiGateway?.Properties?.FunctionName).toEqual({
      Ref: 'ApiTrafficShiftAlias',
    });
    expect(template.Resources.ApiGatewayMethodApiGet?.DependsOn).toBe('ApiLambdaPermissionApiGateway');
    expect(JSON.stringify(template)).not.toContain('ProvConc');
  });

  it("refuses v4's provisioned-concurrency alias under another name: every event would go through it, past the rollout", () => {
    const input = compiledTemplate(['api'], { provisioned: ['api'], provisionedAlias: 'warm' });
    const run = () => transform({ api: canary }, input);
    expect(run).toThrow(expect.objectContaining({ code: 'TRAFFIC_SHIFT_BYPASS' }));
    expect(run).toThrow(
      'Function "api" has its provisioned concurrency on an alias of its own, "warm" (functions.api.provisionedConcurrency.alias, ApiProvConcWarmLambdaAlias): ' +
        "the framework sends the function's events through that alias, which serves each new version at once, past the rollout. " +
        'The provisioned concurrency of a shifted function goes on the alias that carries its traffic, "live": remove provisionedConcurrency.alias ' +
        '(the plugin moves the concurrency to "live") or set it to "live".',
    );
  });

  it("absorbs v4's durable-function alias like the provisioned and SnapStart ones", () => {
    const input = compiledTemplate(['api']);
    input.Resources.ApiDurableLambdaAlias = {
      Type: 'AWS::Lambda::Alias',
      Properties: {
        FunctionName: { Ref: 'ApiLambdaFunction' },
        FunctionVersion: { 'Fn::GetAtt': ['ApiLambdaVersionAbc123', 'Version'] },
        Name: 'durable',
      },
    };
    input.Resources.Invoker = {
      Type: 'AWS::SNS::Subscription',
      Properties: { Protocol: 'lambda', Endpoint: { Ref: 'ApiDurableLambdaAlias' } },
      DependsOn: 'ApiDurableLambdaAlias',
    };
    const { template } = transform({ api: canary }, input);
    expect(template.Resources.ApiDurableLambdaAlias).toBeUndefined();
    expect(template.Resources.Invoker).toEqual({
      Type: 'AWS::SNS::Subscription',
      Properties: { Protocol: 'lambda', Endpoint: { Ref: 'ApiTrafficShiftAlias' } },
    });
  });

  it('creates one custom deployment config per distinct shape, shared by the functions that use it', () => {
    const custom = { type: 'Canary25Percent7Minutes', newVersionAlarms: false };
    const { template, plan } = transform(
      { a: custom, b: custom, c: { type: 'Linear5PercentEvery3Minutes' }, d: { type: 'Linear10PercentEvery1Minute' } },
      compiledTemplate(['a', 'b', 'c', 'd']),
    );
    const configs = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::CodeDeploy::DeploymentConfig',
    );
    expect(configs).toEqual([
      [
        'TrafficShiftConfigCanary25Percent7Minutes',
        {
          Type: 'AWS::CodeDeploy::DeploymentConfig',
          Properties: {
            ComputePlatform: 'Lambda',
            TrafficRoutingConfig: {
              Type: 'TimeBasedCanary',
              TimeBasedCanary: { CanaryPercentage: 25, CanaryInterval: 7 },
            },
          },
        },
      ],
      [
        'TrafficShiftConfigLinear5PercentEvery3Minutes',
        {
          Type: 'AWS::CodeDeploy::DeploymentConfig',
          Properties: {
            ComputePlatform: 'Lambda',
            TrafficRoutingConfig: {
              Type: 'TimeBasedLinear',
              TimeBasedLinear: { LinearPercentage: 5, LinearInterval: 3 },
            },
          },
        },
      ],
    ]);
    const configOf = (id: string) => template.Resources[id]?.Properties?.DeploymentConfigName;
    expect(configOf('ATrafficShiftDeploymentGroup')).toEqual({ Ref: 'TrafficShiftConfigCanary25Percent7Minutes' });
    expect(configOf('BTrafficShiftDeploymentGroup')).toEqual({ Ref: 'TrafficShiftConfigCanary25Percent7Minutes' });
    expect(configOf('CTrafficShiftDeploymentGroup')).toEqual({ Ref: 'TrafficShiftConfigLinear5PercentEvery3Minutes' });
    expect(configOf('DTrafficShiftDeploymentGroup')).toBe('CodeDeployDefault.LambdaLinear10PercentEvery1Minute');
    expect(plan.sharedResources).toEqual([
      'TrafficShiftApplication',
      'TrafficShiftCodeDeployRole',
      'TrafficShiftConfigCanary25Percent7Minutes',
      'TrafficShiftConfigLinear5PercentEvery3Minutes',
    ]);
  });

  it('moves an in-place alias straight to the new version: no UpdatePolicy, no CodeDeploy resources', () => {
    const { template, plan } = transform({ job: { type: 'InPlace' } }, compiledTemplate(['job']));
    expect(template.Resources.JobTrafficShiftAlias?.UpdatePolicy).toBeUndefined();
    expect(template.Resources.JobTrafficShiftAlias?.Properties?.Name).toBe('live');
    expect(Object.values(template.Resources).filter((r) => r.Type.startsWith('AWS::CodeDeploy::'))).toEqual([]);
    expect(template.Resources.TrafficShiftCodeDeployRole).toBeUndefined();
    expect(template.Resources.JobLambdaPermissionApiGateway?.Properties?.FunctionName).toEqual({
      Ref: 'JobTrafficShiftAlias',
    });
    expect(plan.functions[0]).toMatchObject({ mode: 'inPlace', addedResources: ['JobTrafficShiftAlias'] });
  });

  it('uses the given codeDeployRole instead of creating one, and honours the permissions boundary', () => {
    const role = 'arn:aws:iam::123456789012:role/deployer';
    const own = transform({ api: { ...canary, codeDeployRole: role } }, compiledTemplate(['api']));
    expect(own.template.Resources.TrafficShiftCodeDeployRole).toBeUndefined();
    expect(own.template.Resources.ApiTrafficShiftDeploymentGroup?.Properties?.ServiceRoleArn).toBe(role);

    const boundary = 'arn:aws:iam::123456789012:policy/boundary';
    const bounded = transform({ api: canary }, compiledTemplate(['api']), {
      defaults: { codeDeployRolePermissionsBoundary: boundary },
    });
    expect(bounded.template.Resources.TrafficShiftCodeDeployRole?.Properties?.PermissionsBoundary).toBe(boundary);
  });

  it('drops the Retain policy of versions when the user turned versioning off', () => {
    const kept = transform({ api: canary }, compiledTemplate(['api']));
    expect(kept.template.Resources.ApiLambdaVersionAbc123?.DeletionPolicy).toBe('Retain');
    const dropped = transform({ api: canary }, compiledTemplate(['api']), { versionFunctions: false });
    expect(dropped.template.Resources.ApiLambdaVersionAbc123).toEqual({
      Type: 'AWS::Lambda::Version',
      Properties: { FunctionName: { Ref: 'ApiLambdaFunction' }, CodeSha256: 'abc=' },
    });
  });

  it('leaves untouched functions and every other resource exactly as they were', () => {
    const input = compiledTemplate(['api', 'other'], { alias: 'live' });
    // `other` is not shifted: the framework would not have wired it to an alias.
    const otherPermission = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: { 'Fn::GetAtt': ['OtherLambdaFunction', 'Arn'] },
        Action: 'lambda:InvokeFunction',
        Principal: 'sns.amazonaws.com',
      },
    };
    input.Resources.OtherLambdaPermissionApiGateway = otherPermission;
    const { template, plan } = transform({ api: canary, other: undefined }, input);
    expect(template.Resources.OtherLambdaPermissionApiGateway).toBe(otherPermission);
    expect(template.Resources.OtherLambdaFunction).toBe(input.Resources.OtherLambdaFunction);
    expect(template.Resources.OtherTrafficShiftAlias).toBeUndefined();
    expect(plan.functions[1]).toEqual({
      name: 'other',
      mode: 'untouched',
      reason: expect.stringContaining('no deploymentSettings'),
      alarms: [],
      hooks: [],
      addedResources: [],
    });
  });

  it('never modifies its input and is deterministic', () => {
    const input = compiledTemplate(['api', 'worker'], { provisioned: ['worker'] });
    const before = JSON.stringify(input);
    const first = transform({ api: canary, worker: { type: 'Linear20PercentEvery2Minutes' } }, input);
    const second = transform({ api: canary, worker: { type: 'Linear20PercentEvery2Minutes' } }, input);
    expect(JSON.stringify(input)).toBe(before);
    expect(JSON.stringify(first.template)).toBe(JSON.stringify(second.template));
  });

  it('refuses to overwrite a resource of the same logical id', () => {
    const input = compiledTemplate(['api']);
    input.Resources.TrafficShiftApplication = { Type: 'AWS::CodeDeploy::Application' };
    expect(() => transform({ api: canary }, input)).toThrow(
      expect.objectContaining({
        code: 'TRAFFIC_SHIFT_LOGICAL_ID_COLLISION',
        message: expect.stringContaining('TrafficShiftApplication'),
      }),
    );
  });

  it('fails clearly when the function has no version to shift to', () => {
    const input = compiledTemplate(['api']);
    delete input.Resources.ApiLambdaVersionAbc123;
    const run = () => transform({ api: canary }, input);
    expect(run).toThrow(ServerlessError);
    expect(run).toThrow('Function "api" has no AWS::Lambda::Version');
  });

  it('describes the plan per function', () => {
    const { plan } = transform(
      { api: canary, job: { type: 'InPlace' }, off: { type: 'AllAtOnce', enabled: false } },
      compiledTemplate(['api', 'job', 'off']),
    );
    expect(plan.functions).toEqual([
      {
        name: 'api',
        mode: 'shifted',
        strategy: 'Canary10Percent5Minutes',
        deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        alias: 'live',
        timeline: '0m → 10%, 5m → 100%',
        steps: [
          { minute: 0, percent: 10 },
          { minute: 5, percent: 100 },
        ],
        events: ['http GET (ApiGatewayMethodApiGet)', 'permission for apigateway.amazonaws.com'],
        alarms: [],
        hooks: [],
        rollback: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'],
        addedResources: ['ApiTrafficShiftAlias', 'ApiTrafficShiftDeploymentGroup'],
      },
      expect.objectContaining({
        name: 'job',
        mode: 'inPlace',
        strategy: 'InPlace',
        steps: [{ minute: 0, percent: 100 }],
      }),
      expect.objectContaining({ name: 'off', mode: 'untouched', reason: 'deploymentSettings.enabled is false' }),
    ]);
  });
});

describe('CloudFormation resource budget', () => {
  const padded = (count: number): CfnTemplate => {
    const template = compiledTemplate(['api']);
    for (let i = Object.keys(template.Resources).length; i < count; i += 1)
      template.Resources[`Topic${i}`] = { Type: 'AWS::SNS::Topic' };
    return template;
  };

  it('fails over 500 resources, saying how many the plugin added', () => {
    expect(() => transform({ api: canary }, padded(497))).toThrow(
      expect.objectContaining({
        code: 'TRAFFIC_SHIFT_RESOURCE_LIMIT',
        message: expect.stringContaining('The stack would have 501 resources'),
      }),
    );
    expect(() => transform({ api: canary }, padded(497))).toThrow('serverless-traffic-shift adds 4');
  });

  it('warns above 450', () => {
    const { plan } = transform({ api: canary }, padded(450));
    expect(plan.warnings).toEqual([
      expect.stringContaining('the stack has 454 resources (4 added by serverless-traffic-shift)'),
    ]);
    expect(transform({ api: canary }, padded(440)).plan.warnings).toEqual([]);
  });

  it('leaves the count to serverless-plugin-split-stacks when it splits the stack afterwards', () => {
    const { template, plan } = applyTrafficShift(resolveSettings(service({ api: canary })), padded(497), {
      stackSplitAfter: true,
    });
    expect(Object.keys(template.Resources)).toHaveLength(501);
    expect(plan.warnings).toEqual([]);
  });
});

describe('async invocation settings of a function with provisioned concurrency', () => {
  it('move from the framework provisioned alias to the shifted alias', () => {
    const input = compiledTemplate(['api'], { provisioned: ['api'] });
    input.Resources.ApiLambdaEvConf = {
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: { FunctionName: { Ref: 'ApiLambdaFunction' }, Qualifier: 'provisioned', MaximumRetryAttempts: 1 },
      DependsOn: 'ApiProvConcLambdaAlias',
    };
    const { template } = transform({ api: canary }, input);
    expect(template.Resources.ApiLambdaEvConf).toEqual({
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: { FunctionName: { Ref: 'ApiLambdaFunction' }, Qualifier: 'live', MaximumRetryAttempts: 1 },
      DependsOn: 'ApiTrafficShiftAlias',
    });
  });
});
