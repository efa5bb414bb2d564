import { readFileSync } from 'fs';
import * as path from 'path';
import { resolveSettings, type ShiftedFunction } from '../../../src/config/resolve';
import { applyTrafficShift } from '../../../src/transform';
import { findBypasses } from '../../../src/transform/bypass-check';
import type { CfnResource, CfnTemplate } from '../../../src/types/cloudformation';
import { compiledTemplate, service } from '../../support/service';

const shifted = (settings: Record<string, unknown> = {}) =>
  resolveSettings(service({ api: { type: 'Canary10Percent5Minutes', ...settings } })).functions as ShiftedFunction[];

function templateWith(resources: Record<string, CfnResource>): CfnTemplate {
  const template = compiledTemplate(['api']);
  (template.Resources.ApiLambdaFunction as CfnResource).Properties = { FunctionName: 'svc-prod-api' };
  Object.assign(template.Resources, resources);
  return template;
}

const arn = { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] };

describe('findBypasses', () => {
  it.each<[string, CfnResource, string]>([
    [
      'SNS subscription by ARN',
      { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'lambda', Endpoint: arn } },
      'Properties.Endpoint',
    ],
    [
      'permission on the bare function',
      {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          FunctionName: { Ref: 'ApiLambdaFunction' },
          Action: 'lambda:InvokeFunction',
          Principal: 's3.amazonaws.com',
        },
      },
      'Properties.FunctionName',
    ],
    [
      'hand-written API Gateway integration',
      {
        Type: 'AWS::ApiGateway::Method',
        Properties: {
          Integration: {
            Uri: {
              'Fn::Join': ['', ['arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/', arn, '/invocations']],
            },
          },
        },
      },
      'Properties.Integration.Uri.Fn::Join[1][1]',
    ],
    [
      'event rule target',
      { Type: 'AWS::Events::Rule', Properties: { Targets: [{ Id: 'a', Arn: arn }] } },
      'Properties.Targets[0].Arn',
    ],
    [
      'Fn::Sub of the ARN',
      { Type: 'AWS::SNS::Subscription', Properties: { Endpoint: { 'Fn::Sub': '${ApiLambdaFunction.Arn}' } } },
      'Properties.Endpoint',
    ],
    [
      'literal ARN of the deployed name',
      {
        Type: 'AWS::SNS::Subscription',
        Properties: { Endpoint: 'arn:aws:lambda:us-east-1:123456789012:function:svc-prod-api' },
      },
      'Properties.Endpoint',
    ],
    [
      'Fn::Sub with the deployed name',
      {
        Type: 'AWS::SNS::Subscription',
        Properties: {
          Endpoint: {
            'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-prod-api',
          },
        },
      },
      'Properties.Endpoint.Fn::Sub',
    ],
    [
      '$LATEST qualifier',
      { Type: 'AWS::SNS::Subscription', Properties: { Endpoint: { 'Fn::Join': [':', [arn, '$LATEST']] } } },
      'Properties.Endpoint.Fn::Join[1][0]',
    ],
    [
      'event source mapping',
      {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { FunctionName: arn, EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:q' },
      },
      'Properties.FunctionName',
    ],
    [
      'function URL without qualifier',
      { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: arn, AuthType: 'NONE' } },
      'Properties.TargetFunctionArn',
    ],
  ])('finds %s', (_name, resource, path) => {
    expect(findBypasses(templateWith({ Invoker: resource }), shifted())).toEqual([
      { functionName: 'api', resource: 'Invoker', resourceType: resource.Type, path },
    ]);
  });

  it.each<[string, CfnResource]>([
    ['alias ARN by Ref', { Type: 'AWS::SNS::Subscription', Properties: { Endpoint: { Ref: 'ApiTrafficShiftAlias' } } }],
    [
      'ARN joined with the alias',
      { Type: 'AWS::SNS::Subscription', Properties: { Endpoint: { 'Fn::Join': [':', [arn, 'live']] } } },
    ],
    [
      'ARN joined inside a URI',
      { Type: 'AWS::ApiGateway::Method', Properties: { Uri: { 'Fn::Join': ['', ['x/', arn, ':live/invocations']] } } },
    ],
    [
      'Fn::Sub with a qualifier',
      { Type: 'AWS::SNS::Subscription', Properties: { Endpoint: { 'Fn::Sub': '${ApiLambdaFunction.Arn}:live' } } },
    ],
    [
      'literal qualified ARN',
      {
        Type: 'AWS::SNS::Subscription',
        Properties: { Endpoint: 'arn:aws:lambda:us-east-1:123456789012:function:svc-prod-api:live' },
      },
    ],
    [
      'another function whose name extends this one',
      {
        Type: 'AWS::SNS::Subscription',
        Properties: { Endpoint: 'arn:aws:lambda:us-east-1:123456789012:function:svc-prod-api-v2' },
      },
    ],
    ['IAM policy', { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: { Statement: [{ Resource: arn }] } } }],
    [
      'alarm dimension',
      {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: { Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'ApiLambdaFunction' } }] },
      },
    ],
    ['log group', { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/svc-prod-api' } }],
    [
      'async config on the alias',
      {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: { FunctionName: { Ref: 'ApiLambdaFunction' }, Qualifier: 'live' },
      },
    ],
    ['DependsOn only', { Type: 'AWS::SNS::Topic', DependsOn: 'ApiLambdaFunction' }],
  ])('accepts %s', (_name, resource) => {
    expect(findBypasses(templateWith({ Fine: resource }), shifted())).toEqual([]);
  });
});

describe('any qualifier other than the alias name is a bypass', () => {
  const warmAlias: CfnResource = {
    Type: 'AWS::Lambda::Alias',
    Properties: { FunctionName: { Ref: 'ApiLambdaFunction' }, FunctionVersion: '3', Name: 'warm' },
  };
  const version: CfnResource = {
    Type: 'AWS::Lambda::Version',
    Properties: { FunctionName: { Ref: 'ApiLambdaFunction' } },
  };
  const subscription = (endpoint: unknown): CfnResource => ({
    Type: 'AWS::SNS::Subscription',
    Properties: { Protocol: 'lambda', Endpoint: endpoint },
  });

  it.each<[string, CfnResource, string, string]>([
    [
      'ARN joined with another alias',
      subscription({ 'Fn::Join': [':', [arn, 'warm']] }),
      'Properties.Endpoint.Fn::Join[1][0]',
      'alias "warm"',
    ],
    [
      'ARN joined with a version number',
      subscription({ 'Fn::Join': ['', [arn, ':', '3']] }),
      'Properties.Endpoint.Fn::Join[1][0]',
      'version 3',
    ],
    [
      'ARN inside a URI, qualified by another alias',
      {
        Type: 'AWS::ApiGateway::Method',
        Properties: { Uri: { 'Fn::Join': ['', ['x/', arn, ':provisioned/invocations']] } },
      },
      'Properties.Uri.Fn::Join[1][1]',
      'alias "provisioned"',
    ],
    [
      'Fn::Sub with another alias',
      subscription({ 'Fn::Sub': '${ApiLambdaFunction.Arn}:warm' }),
      'Properties.Endpoint',
      'alias "warm"',
    ],
    [
      'literal ARN with a version',
      subscription('arn:aws:lambda:us-east-1:123456789012:function:svc-prod-api:7'),
      'Properties.Endpoint',
      'version 7',
    ],
    [
      'Ref of an alias written in resources:',
      subscription({ Ref: 'WarmAlias' }),
      'Properties.Endpoint',
      'alias "warm" (WarmAlias)',
    ],
    [
      'Fn::Sub of that alias',
      subscription({ 'Fn::Sub': '${WarmAlias}' }),
      'Properties.Endpoint',
      'alias "warm" (WarmAlias)',
    ],
    [
      'a function URL on another alias',
      { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: arn, Qualifier: 'warm', AuthType: 'NONE' } },
      'Properties.TargetFunctionArn',
      'alias "warm"',
    ],
    [
      'a function URL on a version resource',
      { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: { Ref: 'ApiVersion' }, AuthType: 'NONE' } },
      'Properties.TargetFunctionArn',
      'version ApiVersion',
    ],
    [
      'async settings qualified by a version resource',
      {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: {
          FunctionName: { Ref: 'ApiLambdaFunction' },
          Qualifier: { 'Fn::GetAtt': ['ApiVersion', 'Version'] },
        },
      },
      'Properties.FunctionName',
      'version ApiVersion',
    ],
    [
      'a qualifier the check cannot read',
      subscription({ 'Fn::Join': [':', [arn, { Ref: 'AliasName' }]] }),
      'Properties.Endpoint.Fn::Join[1][0]',
      'a qualifier computed by Ref, which the check cannot read as alias "live",',
    ],
  ])('finds %s', (_name, resource, path, through) => {
    const template = templateWith({ Invoker: resource, WarmAlias: warmAlias, ApiVersion: version });
    expect(findBypasses(template, shifted())).toEqual([
      { functionName: 'api', resource: 'Invoker', resourceType: resource.Type, path, through },
    ]);
  });

  it('says what it goes through in the error, and allowBypass lets it through', () => {
    const template = templateWith({ Hand: subscription({ Ref: 'WarmAlias' }), WarmAlias: warmAlias });
    const run = (allowBypass: string[]) =>
      applyTrafficShift(resolveSettings(service({ api: { type: 'Canary10Percent5Minutes', allowBypass } })), template);
    expect(() => run([])).toThrow(
      'Hand (AWS::SNS::Subscription) at Properties.Endpoint invokes function "api" through alias "warm" (WarmAlias) instead of its shifted alias',
    );
    expect(run(['Hand']).template.Resources.Hand).toEqual(subscription({ Ref: 'WarmAlias' }));
  });

  it('fails the build with the message docs/event-sources.md shows', () => {
    const docs = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'event-sources.md'), 'utf8');
    const shown = /```\n(Traffic would bypass[^`]*)\n```/.exec(docs)?.[1];
    const template = templateWith({
      MySubscription: subscription(arn),
      WarmAlias: warmAlias,
      WarmRule: { Type: 'AWS::Events::Rule', Properties: { Targets: [{ Id: 'warm', Arn: { Ref: 'WarmAlias' } }] } },
    });
    expect(() =>
      applyTrafficShift(resolveSettings(service({ api: { type: 'Canary10Percent5Minutes' } })), template),
    ).toThrow(shown);
    expect(shown).toContain('through alias "warm" (WarmAlias)');
  });

  it('the alias resource itself, and a URL or async settings on the alias name, are no bypass', () => {
    const template = templateWith({
      WarmAlias: warmAlias,
      Url: { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: arn, Qualifier: 'live', AuthType: 'NONE' } },
      Async: {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: { FunctionName: 'svc-prod-api', Qualifier: 'live' },
      },
    });
    expect(findBypasses(template, shifted())).toEqual([]);
  });
});

describe('the transform fails on a bypass', () => {
  const bypass = {
    Type: 'AWS::SNS::Subscription',
    Properties: { Protocol: 'lambda', Endpoint: arn, TopicArn: 'arn:aws:sns:us-east-1:123456789012:t' },
  };

  it('with a message naming the resource, the path and the fix, and returns nothing', () => {
    const run = () =>
      applyTrafficShift(
        resolveSettings(service({ api: { type: 'Canary10Percent5Minutes' } })),
        templateWith({ MySubscription: bypass }),
      );
    expect(run).toThrow(expect.objectContaining({ code: 'TRAFFIC_SHIFT_BYPASS' }));
    expect(run).toThrow(
      'MySubscription (AWS::SNS::Subscription) at Properties.Endpoint invokes function "api" without its alias',
    );
    expect(run).toThrow('deploymentSettings.allowBypass');
  });

  it('unless the resource is listed in allowBypass', () => {
    const settings = resolveSettings(
      service({ api: { type: 'Canary10Percent5Minutes', allowBypass: ['MySubscription'] } }),
    );
    const { template, plan } = applyTrafficShift(settings, templateWith({ MySubscription: bypass }));
    expect(template.Resources.MySubscription).toEqual(bypass);
    // The plan says what the exception lets through.
    expect(plan.functions[0]?.bypasses).toEqual(['sns arn:aws:sns:us-east-1:123456789012:t [MySubscription]']);
  });

  it('and rejects an allowBypass entry that names nothing in the template', () => {
    const settings = resolveSettings(service({ api: { type: 'Canary10Percent5Minutes', allowBypass: ['Gone'] } }));
    expect(() => applyTrafficShift(settings, templateWith({}))).toThrow(
      'functions.api.deploymentSettings.allowBypass names Gone',
    );
  });

  it.each(['hasOwnProperty', 'toString', 'constructor'])(
    'and rejects allowBypass: [%s], a property of every object but no resource',
    (id) => {
      const settings = resolveSettings(service({ api: { type: 'Canary10Percent5Minutes', allowBypass: [id] } }));
      expect(() => applyTrafficShift(settings, templateWith({}))).toThrow(
        `Invalid deployment setting: functions.api.deploymentSettings.allowBypass names ${id}, which the compiled template does not contain. List logical ids of resources in the compiled template, or remove the entry. [TRAFFIC_SHIFT_INVALID_SETTING]`,
      );
    },
  );
});

describe('async invocation settings', () => {
  it('accepts the function named with its alias as qualifier, but not a destination on another shifted function', () => {
    const functions = resolveSettings(service({ api: { type: 'AllAtOnce' }, handler: { type: 'AllAtOnce' } }))
      .functions as ShiftedFunction[];
    const template = compiledTemplate(['api', 'handler']);
    template.Resources.ApiEventInvokeConfig = {
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: {
        FunctionName: { Ref: 'ApiLambdaFunction' },
        Qualifier: 'live',
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['HandlerLambdaFunction', 'Arn'] } } },
      },
    };
    expect(findBypasses(template, functions)).toEqual([
      {
        functionName: 'handler',
        resource: 'ApiEventInvokeConfig',
        resourceType: 'AWS::Lambda::EventInvokeConfig',
        path: 'Properties.DestinationConfig.OnFailure.Destination',
      },
    ]);
  });
});

describe('several shifted functions', () => {
  const functions = resolveSettings(
    service({ api: { type: 'AllAtOnce' }, handler: { type: 'AllAtOnce' }, worker: { type: 'AllAtOnce' } }),
  ).functions as ShiftedFunction[];
  const template = (invoker: CfnResource): CfnTemplate => {
    const t = compiledTemplate(['api', 'handler', 'worker']);
    (t.Resources.ApiLambdaFunction as CfnResource).Properties = { FunctionName: 'svc-prod-api' };
    (t.Resources.WorkerLambdaFunction as CfnResource).Properties = { FunctionName: 'svc-prod-worker' };
    t.Resources.Invoker = invoker;
    return t;
  };

  it('reports each function a Fn::Sub names without a qualifier once, in function order', () => {
    const sub = {
      'Fn::Sub':
        '${WorkerLambdaFunction.Arn} ${ApiLambdaFunction} ${WorkerLambdaFunction} ${HandlerLambdaFunction.Arn}:live',
    };
    expect(
      findBypasses(template({ Type: 'AWS::SNS::Subscription', Properties: { Endpoint: sub } }), functions).map(
        (f) => f.functionName,
      ),
    ).toEqual(['api', 'worker']);
  });

  it('finds a deployed name written alone, and only that function', () => {
    expect(
      findBypasses(
        template({ Type: 'Custom::Thing', Properties: { Target: 'svc-prod-worker', Other: 'svc-prod-api-v2' } }),
        functions,
      ),
    ).toEqual([expect.objectContaining({ functionName: 'worker', path: 'Properties.Target' })]);
  });
});
