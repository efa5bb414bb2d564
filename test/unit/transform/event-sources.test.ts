import { resolveSettings, type ShiftedFunction } from '../../../src/config/resolve';
import { applyTrafficShift } from '../../../src/transform';
import { eventSourcesThroughAlias, rewireEventSources } from '../../../src/transform/event-sources';
import { EVENT_SOURCE_MODULES, eventSourceModule } from '../../../src/transform/events';
import type { CfnResource, CfnTemplate } from '../../../src/types/cloudformation';
import { compiledTemplate, service } from '../../support/service';

const settings = () => resolveSettings(service({ api: { type: 'Canary10Percent5Minutes' } }));
const shifted = () => settings().functions as ShiftedFunction[];

function withResources(resources: Record<string, CfnResource>): CfnTemplate {
  const template = compiledTemplate(['api']);
  (template.Resources.ApiLambdaFunction as CfnResource).Properties = { FunctionName: 'svc-prod-api' };
  Object.assign(template.Resources, resources);
  return template;
}

const customResourcesRole: CfnResource = {
  Type: 'AWS::IAM::Role',
  Properties: {
    Policies: [
      {
        PolicyName: 'custom-resources',
        PolicyDocument: {
          Statement: [
            { Effect: 'Allow', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:*:*:function:svc-prod-api' }, Action: ['lambda:AddPermission', 'lambda:RemovePermission'] },
            { Effect: 'Allow', Resource: '*', Action: ['cognito-idp:DescribeUserPool'] },
          ],
        },
      },
    ],
  },
};

describe('the registry', () => {
  it('knows each resource type once', () => {
    const types = EVENT_SOURCE_MODULES.flatMap((m) => m.resourceTypes);
    expect(new Set(types).size).toBe(types.length);
    const mapping = eventSourceModule('AWS::Lambda::EventSourceMapping');
    const template = { Resources: { Jobs: { Type: 'AWS::SQS::Queue' }, Orders: { Type: 'AWS::DynamoDB::Table' } } };
    const describe = (source: unknown) => mapping?.describe('X', { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: source } }, template);
    expect(describe('arn:aws:sqs:us-east-1:1:q')).toBe('sqs arn:aws:sqs:us-east-1:1:q');
    expect(describe({ 'Fn::GetAtt': ['Jobs', 'Arn'] })).toBe('sqs Jobs.Arn');
    expect(describe({ 'Fn::GetAtt': ['Orders', 'StreamArn'] })).toBe('stream (dynamodb) Orders.StreamArn');
    expect(describe({ 'Fn::ImportValue': 'shared-queue' })).toBe('event source mapping import shared-queue');
  });
});

describe('httpApi and websocket integrations', () => {
  const integration: CfnResource = { Type: 'AWS::ApiGatewayV2::Integration', Properties: { ApiId: { Ref: 'HttpApi' }, IntegrationUri: { Ref: 'ApiTrafficShiftAlias' } } };
  const route = (key: string, integrationId: string): CfnResource => ({
    Type: 'AWS::ApiGatewayV2::Route',
    Properties: { ApiId: { Ref: 'HttpApi' }, RouteKey: key, Target: { 'Fn::Join': ['/', ['integrations', { Ref: integrationId }]] } },
  });

  it('are named by the route keys that target them', () => {
    const template = withResources({ HttpApiIntegrationApi: integration, RouteA: route('GET /a', 'HttpApiIntegrationApi'), RouteB: route('POST /b', 'HttpApiIntegrationApi'), RouteC: route('GET /c', 'Other') });
    expect(eventSourcesThroughAlias(template, shifted()).get('api')).toEqual(['httpApi GET /a, POST /b']);
  });

  it('by their logical id when no route targets them', () => {
    const template = withResources({ HttpApiIntegrationApi: integration });
    expect(eventSourcesThroughAlias(template, shifted()).get('api')).toEqual(['httpApi integration HttpApiIntegrationApi']);
  });
});

describe('framework custom resources (existing S3 bucket, existing Cognito pool, EventBridge)', () => {
  // Their handlers build the AddPermission statement id from FunctionName: "<name>:live" would be rejected by Lambda.
  it.each([
    ['Custom::S3', 'define the bucket notification on the alias yourself'],
    ['Custom::CognitoUserPool', 'existing user pool can only set the function itself'],
    ['Custom::EventBridge', 'provider.eventBridge.useCloudFormation: true'],
  ])('%s stays on the function and stops the build with what to do', (type, hint) => {
    const template = withResources({
      ExistingSource: { Type: type, Properties: { ServiceToken: { 'Fn::GetAtt': ['Handler', 'Arn'] }, FunctionName: 'svc-prod-api' } },
      IamRoleCustomResourcesLambdaExecution: customResourcesRole,
    });
    expect(rewireEventSources(template, shifted())).toBe(template);
    expect(() => applyTrafficShift(settings(), template)).toThrow(
      expect.objectContaining({ code: 'TRAFFIC_SHIFT_BYPASS', message: expect.stringContaining(`ExistingSource (${type}) at Properties.FunctionName invokes function "api" without its alias — `) }),
    );
    expect(() => applyTrafficShift(settings(), template)).toThrow(hint);
  });

  it('packages when the user accepts the exception with allowBypass', () => {
    const template = withResources({ ExistingSource: { Type: 'Custom::S3', Properties: { FunctionName: 'svc-prod-api', BucketName: 'uploads' } } });
    const allowed = resolveSettings(service({ api: { type: 'Canary10Percent5Minutes', allowBypass: ['ExistingSource'] } }));
    const { template: out, plan } = applyTrafficShift(allowed, template);
    expect(out.Resources.ExistingSource).toEqual(template.Resources.ExistingSource);
    expect(plan.functions[0]?.bypasses).toEqual(['s3 uploads (existing bucket) [ExistingSource]']);
  });
});

describe('function URLs', () => {
  it('name the function and the alias as Qualifier, the documented form', () => {
    const template = withResources({
      ApiLambdaFunctionUrl: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'NONE', TargetFunctionArn: { Ref: 'ApiTrafficShiftAlias' } } },
    });
    const { template: out, plan } = applyTrafficShift(settings(), template);
    expect(out.Resources.ApiLambdaFunctionUrl?.Properties).toEqual({ AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] }, Qualifier: 'live' });
    expect(out.Resources.ApiLambdaFunctionUrl?.DependsOn).toBe('ApiTrafficShiftAlias');
    expect(plan.functions[0]?.events).toContain('function url');
  });
});

describe('the bypass check and the event list', () => {
  it('stops a Lambda@Edge association with a hint that says why and what to do', () => {
    const distribution: CfnResource = {
      Type: 'AWS::CloudFront::Distribution',
      Properties: { DistributionConfig: { DefaultCacheBehavior: { LambdaFunctionAssociations: [{ EventType: 'viewer-request', LambdaFunctionARN: { Ref: 'ApiLambdaVersionAbc123' } }] } } },
    };
    expect(() => applyTrafficShift(settings(), withResources({ CloudFrontDistribution: distribution }))).toThrow(
      /CloudFrontDistribution \(AWS::CloudFront::Distribution\) at Properties\.DistributionConfig\.DefaultCacheBehavior\.LambdaFunctionAssociations\[0\]\.LambdaFunctionARN invokes function "api" without its alias — Lambda@Edge runs a published version.*enabled: false/,
    );
  });

  it('flags a custom resource of the user that calls the function by name, suggesting allowBypass', () => {
    const custom = { Type: 'AWS::CloudFormation::CustomResource', Properties: { ServiceToken: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] } } };
    expect(() => applyTrafficShift(settings(), withResources({ Seed: custom }))).toThrow(/Seed .* at Properties\.ServiceToken .* — CloudFormation invokes a custom resource handler directly/);
  });

  it('lists what reaches each alias', () => {
    const template = withResources({
      Queue: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:jobs', FunctionName: { Ref: 'ApiTrafficShiftAlias' } } },
      Rule: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 hour)', Targets: [{ Arn: { Ref: 'ApiTrafficShiftAlias' }, Id: 'x' }] } },
      Unrelated: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(2 hours)', Targets: [{ Arn: 'arn:aws:sns:us-east-1:123456789012:t', Id: 'y' }] } },
      Skill: { Type: 'AWS::Lambda::Permission', Properties: { FunctionName: { Ref: 'ApiTrafficShiftAlias' }, Principal: 'alexa-appkit.amazon.com', EventSourceToken: 'amzn1.ask.skill.x' } },
    });
    // The http method of the fixture still has the framework's joined form: only Refs of the alias count here.
    expect(eventSourcesThroughAlias(template, shifted()).get('api')).toEqual([
      'sqs arn:aws:sqs:us-east-1:123456789012:jobs',
      'schedule rate(1 hour)',
      'alexaSkill amzn1.ask.skill.x',
    ]);
  });
});

describe('grants follow the alias', () => {
  it('adds the alias wherever an Allow statement names the unqualified function, and nothing else', () => {
    const template = withResources({
      DestinationRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [
            {
              PolicyName: 'p',
              PolicyDocument: {
                Statement: [
                  { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-prod-api' } },
                  { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [{ 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] }, { Ref: 'ApiTrafficShiftAlias' }] },
                  { Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] } },
                  { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
                ],
              },
            },
          ],
        },
      },
      StandalonePolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] } }] } },
      },
    });
    const { template: out } = applyTrafficShift(settings(), template);
    const statements = (out.Resources.DestinationRole?.Properties as any).Policies[0].PolicyDocument.Statement;
    expect(statements[0].Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-prod-api' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-prod-api:live' },
    ]);
    expect(statements[1].Resource).toEqual([{ 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] }, { Ref: 'ApiTrafficShiftAlias' }]);
    expect(statements[2]).toEqual({ Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] } });
    expect(statements[3]).toEqual({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' });
    expect((out.Resources.StandalonePolicy?.Properties as any).PolicyDocument.Statement[0].Resource).toEqual([
      { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] },
      { Ref: 'ApiTrafficShiftAlias' },
    ]);
  });
});
