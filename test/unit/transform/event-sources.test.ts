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
            {
              Effect: 'Allow',
              Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:*:*:function:svc-prod-api' },
              Action: ['lambda:AddPermission', 'lambda:RemovePermission'],
            },
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
    const describe = (source: unknown) =>
      mapping?.describe(
        'X',
        { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: source } },
        template,
      );
    expect(describe('arn:aws:sqs:us-east-1:1:q')).toBe('sqs arn:aws:sqs:us-east-1:1:q');
    expect(describe({ 'Fn::GetAtt': ['Jobs', 'Arn'] })).toBe('sqs Jobs.Arn');
    expect(describe({ 'Fn::GetAtt': ['Orders', 'StreamArn'] })).toBe('stream (dynamodb) Orders.StreamArn');
    expect(describe({ 'Fn::ImportValue': 'shared-queue' })).toBe('event source mapping import shared-queue');
  });
});

describe('httpApi and websocket integrations', () => {
  const integration: CfnResource = {
    Type: 'AWS::ApiGatewayV2::Integration',
    Properties: { ApiId: { Ref: 'HttpApi' }, IntegrationUri: { Ref: 'ApiTrafficShiftAlias' } },
  };
  const route = (key: string, integrationId: string): CfnResource => ({
    Type: 'AWS::ApiGatewayV2::Route',
    Properties: {
      ApiId: { Ref: 'HttpApi' },
      RouteKey: key,
      Target: { 'Fn::Join': ['/', ['integrations', { Ref: integrationId }]] },
    },
  });

  it('are named by the route keys that target them', () => {
    const template = withResources({
      HttpApiIntegrationApi: integration,
      RouteA: route('GET /a', 'HttpApiIntegrationApi'),
      RouteB: route('POST /b', 'HttpApiIntegrationApi'),
      RouteC: route('GET /c', 'Other'),
    });
    expect(eventSourcesThroughAlias(template, shifted()).get('api')).toEqual(['httpApi GET /a, POST /b']);
  });

  it('by their logical id when no route targets them', () => {
    const template = withResources({ HttpApiIntegrationApi: integration });
    expect(eventSourcesThroughAlias(template, shifted()).get('api')).toEqual([
      'httpApi integration HttpApiIntegrationApi',
    ]);
  });
});

describe("the framework's custom resources for an existing bucket or user pool: taken over by the plugin's, on the alias", () => {
  const frameworkS3: CfnResource = {
    Type: 'Custom::S3',
    DependsOn: ['ApiLambdaFunction', 'CustomDashresourceDashexistingDashs3LambdaFunction'],
    Properties: {
      ServiceToken: { 'Fn::GetAtt': ['CustomDashresourceDashexistingDashs3LambdaFunction', 'Arn'] },
      FunctionName: 'svc-prod-api',
      BucketName: 'uploads',
      BucketConfigs: [{ Event: 's3:ObjectCreated:*', Rules: [{ Suffix: '.jpg' }] }],
    },
  };
  const frameworkPool: CfnResource = {
    Type: 'Custom::CognitoUserPool',
    Properties: {
      ServiceToken: { 'Fn::GetAtt': ['CustomDashresourceDashexistingDashcupLambdaFunction', 'Arn'] },
      FunctionName: 'svc-prod-api',
      UserPoolName: 'Users',
      UserPoolConfigs: [{ Trigger: 'PreSignUp' }],
    },
  };
  const alias = { Ref: 'ApiTrafficShiftAlias' };
  const handlerArn = { 'Fn::GetAtt': ['TrafficShiftExistingSourcesHandler', 'Arn'] };

  it('replaces Custom::S3 by Custom::TrafficShiftExistingBucket, which names the alias', () => {
    const { template, plan } = applyTrafficShift(settings(), withResources({ ApiCustomS31: frameworkS3 }));
    const r = template.Resources;
    expect(r.ApiCustomS31).toBeUndefined();
    expect(r.ApiCustomS31TrafficShift).toEqual({
      Type: 'Custom::TrafficShiftExistingBucket',
      Properties: {
        ServiceToken: handlerArn,
        FunctionArn: alias,
        BucketName: 'uploads',
        BucketConfigs: [{ Event: 's3:ObjectCreated:*', Rules: [{ Suffix: '.jpg' }] }],
      },
    });
    expect(r.TrafficShiftExistingSourcesHandler?.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: { 'Fn::GetAtt': ['TrafficShiftExistingSourcesRole', 'Arn'] },
    });
    expect(typeof (r.TrafficShiftExistingSourcesHandler?.Properties?.Code as { ZipFile: unknown }).ZipFile).toBe(
      'string',
    );
    expect((r.TrafficShiftExistingSourcesRole?.Properties as any).Policies[0].PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: ['lambda:AddPermission', 'lambda:RemovePermission'], Resource: [alias] },
      {
        Effect: 'Allow',
        Action: ['s3:GetBucketNotification', 's3:PutBucketNotification'],
        Resource: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', 'uploads']] }],
      },
    ]);
    expect(plan.functions[0]?.events).toContain('s3 uploads (existing bucket)');
    expect(plan.functions[0]?.addedResources).toContain('ApiCustomS31TrafficShift');
    expect(plan.sharedResources).toEqual(
      expect.arrayContaining(['TrafficShiftExistingSourcesHandler', 'TrafficShiftExistingSourcesRole']),
    );
  });

  it('replaces Custom::CognitoUserPool by Custom::TrafficShiftExistingUserPool; its role may find, read and update pools', () => {
    const { template, plan } = applyTrafficShift(
      settings(),
      withResources({ ApiCustomCognitoUserPool1: frameworkPool }),
    );
    const r = template.Resources;
    expect(r.ApiCustomCognitoUserPool1).toBeUndefined();
    expect(r.ApiCustomCognitoUserPool1TrafficShift).toEqual({
      Type: 'Custom::TrafficShiftExistingUserPool',
      Properties: {
        ServiceToken: handlerArn,
        FunctionArn: alias,
        UserPoolName: 'Users',
        UserPoolConfigs: [{ Trigger: 'PreSignUp' }],
      },
    });
    expect((r.TrafficShiftExistingSourcesRole?.Properties as any).Policies[0].PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: ['lambda:AddPermission', 'lambda:RemovePermission'], Resource: [alias] },
      { Effect: 'Allow', Action: 'cognito-idp:ListUserPools', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['cognito-idp:DescribeUserPool', 'cognito-idp:UpdateUserPool'],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*' },
      },
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*' },
        Condition: { StringEquals: { 'iam:PassedToService': 'cognito-idp.amazonaws.com' } },
      },
    ]);
    expect(plan.functions[0]?.events).toContain('cognitoUserPool Users (existing pool)');
  });

  it('names each bucket once in the role when two functions use the same existing bucket', () => {
    const template = compiledTemplate(['api', 'worker']);
    (template.Resources.ApiLambdaFunction as CfnResource).Properties = { FunctionName: 'svc-prod-api' };
    (template.Resources.WorkerLambdaFunction as CfnResource).Properties = { FunctionName: 'svc-prod-worker' };
    template.Resources.ApiCustomS31 = frameworkS3;
    template.Resources.WorkerCustomS31 = {
      ...frameworkS3,
      Properties: { ...frameworkS3.Properties, FunctionName: 'svc-prod-worker' },
    };
    const both = resolveSettings(service({ api: { type: 'Canary10Percent5Minutes' }, worker: { type: 'AllAtOnce' } }));
    const statements = (
      applyTrafficShift(both, template).template.Resources.TrafficShiftExistingSourcesRole?.Properties as any
    ).Policies[0].PolicyDocument.Statement;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['lambda:AddPermission', 'lambda:RemovePermission'],
        Resource: [alias, { Ref: 'WorkerTrafficShiftAlias' }],
      },
      {
        Effect: 'Allow',
        Action: ['s3:GetBucketNotification', 's3:PutBucketNotification'],
        Resource: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', 'uploads']] }],
      },
    ]);
  });

  it('lets the handler grant Cognito the KMS key of a custom sender trigger', () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/abc';
    const pool = {
      ...frameworkPool,
      Properties: {
        ...frameworkPool.Properties,
        UserPoolConfigs: [{ Trigger: 'CustomEmailSender', LambdaVersion: 'V1_0', KMSKeyID: key }],
      },
    };
    const { template } = applyTrafficShift(settings(), withResources({ ApiCustomCognitoUserPool1: pool }));
    expect((template.Resources.ApiCustomCognitoUserPool1TrafficShift?.Properties as any).UserPoolConfigs).toEqual(
      pool.Properties.UserPoolConfigs,
    );
    expect(
      (template.Resources.TrafficShiftExistingSourcesRole?.Properties as any).Policies[0].PolicyDocument.Statement,
    ).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:CreateGrant',
      Resource: [key],
    });
  });

  describe("the framework's handlers (nodejs18.x)", () => {
    const role: CfnResource = { Type: 'AWS::IAM::Role', Properties: { RoleName: 'custom-resources' } };
    const handler = (name: string): CfnResource => ({
      Type: 'AWS::Lambda::Function',
      Properties: { Runtime: 'nodejs18.x', Role: { 'Fn::GetAtt': ['IamRoleCustomResourcesLambdaExecution', 'Arn'] } },
      DependsOn: ['IamRoleCustomResourcesLambdaExecution', `CustomDashresourceDash${name}LogGroup`],
    });
    const logGroup: CfnResource = { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/handler' } };
    const framework = {
      IamRoleCustomResourcesLambdaExecution: role,
      CustomDashresourceDashexistingDashs3LambdaFunction: handler('existingDashs3'),
      CustomDashresourceDashexistingDashs3LogGroup: logGroup,
    };

    it('go with their log group and role once every resource they served is taken over', () => {
      const { template } = applyTrafficShift(settings(), withResources({ ApiCustomS31: frameworkS3, ...framework }));
      for (const id of Object.keys(framework)) expect(template.Resources[id]).toBeUndefined();
    });

    it('stay while they serve a resource left to them; the role stays while another handler uses it', () => {
      const other = { ...frameworkS3, Properties: { ...frameworkS3.Properties, FunctionName: 'svc-prod-other' } };
      const kept = applyTrafficShift(
        settings(),
        withResources({ ApiCustomS31: frameworkS3, OtherCustomS31: other, ...framework }),
      ).template.Resources;
      for (const id of Object.keys(framework)) expect(kept[id]).toEqual(framework[id as keyof typeof framework]);
      const apigw = { CustomDashresourceDashapigwDashcwDashroleLambdaFunction: handler('apigwDashcwDashrole') };
      const shared = applyTrafficShift(settings(), withResources({ ApiCustomS31: frameworkS3, ...framework, ...apigw }))
        .template.Resources;
      expect(shared.CustomDashresourceDashexistingDashs3LambdaFunction).toBeUndefined();
      expect(shared.CustomDashresourceDashexistingDashs3LogGroup).toBeUndefined();
      expect(shared.IamRoleCustomResourcesLambdaExecution).toEqual(role);
    });
  });

  it('leaves a resource listed in allowBypass, and one of a function that is not shifted, as the framework made them', () => {
    const other = { ...frameworkS3, Properties: { ...frameworkS3.Properties, FunctionName: 'svc-prod-other' } };
    const allowed = resolveSettings(
      service({ api: { type: 'Canary10Percent5Minutes', allowBypass: ['ApiCustomS31'] } }),
    );
    const { template, plan } = applyTrafficShift(
      allowed,
      withResources({ ApiCustomS31: frameworkS3, OtherCustomS31: other }),
    );
    expect(template.Resources.ApiCustomS31).toEqual(frameworkS3);
    expect(template.Resources.OtherCustomS31).toEqual(other);
    expect(template.Resources.TrafficShiftExistingSourcesHandler).toBeUndefined();
    expect(plan.functions[0]?.bypasses).toEqual(['s3 uploads (existing bucket) [ApiCustomS31]']);
  });

  it('stops the build on Custom::EventBridge (useCloudFormation: false), saying to use CloudFormation', () => {
    const template = withResources({
      ApiCustomEventBridge1: {
        Type: 'Custom::EventBridge',
        Properties: { FunctionName: 'svc-prod-api', EventBridgeConfig: { RuleName: 'r1' } },
      },
      IamRoleCustomResourcesLambdaExecution: customResourcesRole,
    });
    expect(rewireEventSources(template, shifted())).toBe(template);
    expect(() => applyTrafficShift(settings(), template)).toThrow(
      expect.objectContaining({
        code: 'TRAFFIC_SHIFT_BYPASS',
        message: expect.stringContaining(
          'ApiCustomEventBridge1 (Custom::EventBridge) at Properties.FunctionName invokes function "api" without its alias — ',
        ),
      }),
    );
    expect(() => applyTrafficShift(settings(), template)).toThrow('provider.eventBridge.useCloudFormation: true');
  });
});

describe('function URLs', () => {
  it('name the function and the alias as Qualifier, the documented form', () => {
    const template = withResources({
      ApiLambdaFunctionUrl: {
        Type: 'AWS::Lambda::Url',
        Properties: { AuthType: 'NONE', TargetFunctionArn: { Ref: 'ApiTrafficShiftAlias' } },
      },
    });
    const { template: out, plan } = applyTrafficShift(settings(), template);
    expect(out.Resources.ApiLambdaFunctionUrl?.Properties).toEqual({
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] },
      Qualifier: 'live',
    });
    expect(out.Resources.ApiLambdaFunctionUrl?.DependsOn).toBe('ApiTrafficShiftAlias');
    expect(plan.functions[0]?.events).toContain('function url');
  });
});

describe('the bypass check and the event list', () => {
  it('stops a Lambda@Edge association with a hint that says why and what to do', () => {
    const distribution: CfnResource = {
      Type: 'AWS::CloudFront::Distribution',
      Properties: {
        DistributionConfig: {
          DefaultCacheBehavior: {
            LambdaFunctionAssociations: [
              { EventType: 'viewer-request', LambdaFunctionARN: { Ref: 'ApiLambdaVersionAbc123' } },
            ],
          },
        },
      },
    };
    expect(() => applyTrafficShift(settings(), withResources({ CloudFrontDistribution: distribution }))).toThrow(
      /CloudFrontDistribution \(AWS::CloudFront::Distribution\) at Properties\.DistributionConfig\.DefaultCacheBehavior\.LambdaFunctionAssociations\[0\]\.LambdaFunctionARN invokes function "api" through version ApiLambdaVersionAbc123 instead of its shifted alias — Lambda@Edge runs a published version.*enabled: false/,
    );
  });

  it('flags a custom resource of the user that calls the function by name, suggesting allowBypass', () => {
    const custom = {
      Type: 'AWS::CloudFormation::CustomResource',
      Properties: { ServiceToken: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] } },
    };
    expect(() => applyTrafficShift(settings(), withResources({ Seed: custom }))).toThrow(
      /Seed .* at Properties\.ServiceToken .* — CloudFormation invokes a custom resource handler directly/,
    );
  });

  it('lists what reaches each alias', () => {
    const template = withResources({
      Queue: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:jobs',
          FunctionName: { Ref: 'ApiTrafficShiftAlias' },
        },
      },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'rate(1 hour)',
          Targets: [{ Arn: { Ref: 'ApiTrafficShiftAlias' }, Id: 'x' }],
        },
      },
      Unrelated: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'rate(2 hours)',
          Targets: [{ Arn: 'arn:aws:sns:us-east-1:123456789012:t', Id: 'y' }],
        },
      },
      Skill: {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          FunctionName: { Ref: 'ApiTrafficShiftAlias' },
          Principal: 'alexa-appkit.amazon.com',
          EventSourceToken: 'amzn1.ask.skill.x',
        },
      },
    });
    // The http method of the fixture still has the framework's joined form: only Refs of the alias count here.
    expect(eventSourcesThroughAlias(template, shifted()).get('api')).toEqual([
      'sqs arn:aws:sqs:us-east-1:123456789012:jobs',
      'schedule rate(1 hour)',
      'alexaSkill amzn1.ask.skill.x',
    ]);
  });
});

describe('Step Functions state machines', () => {
  const arn = { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] };
  const alias = { Ref: 'ApiTrafficShiftAlias' };
  // As serverless-step-functions writes it: a Task with the function ARN, and the lambda:invoke integration.
  const text =
    '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${a}","Next":"B"},"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"${b}"},"End":true}}}';
  const machine = (definition: Record<string, unknown>): CfnResource => ({
    Type: 'AWS::StepFunctions::StateMachine',
    Properties: { StateMachineName: 'flow', RoleArn: { 'Fn::GetAtt': ['FlowRole', 'Arn'] }, ...definition },
  });
  const role: CfnResource = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Policies: [
        {
          PolicyName: 'p',
          PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [arn] }] },
        },
      ],
    },
  };

  it('every task that names the function, in the Fn::Sub variables, the text or the substitutions, invokes the alias; the role may invoke it', () => {
    const { template, plan } = applyTrafficShift(
      settings(),
      withResources({
        Flow: machine({ DefinitionString: { 'Fn::Sub': [text, { a: arn, b: { Ref: 'ApiLambdaFunction' } }] } }),
        Inline: machine({
          DefinitionString: {
            'Fn::Sub':
              '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${ApiLambdaFunction.Arn}","End":true}}}',
          },
        }),
        Substituted: machine({
          Definition: { StartAt: 'A', States: { A: { Type: 'Task', Resource: '${fn}', End: true } } },
          DefinitionSubstitutions: { fn: arn },
        }),
        FlowRole: role,
      }),
    );
    const p = (id: string) => template.Resources[id]?.Properties as Record<string, unknown>;
    expect(p('Flow').DefinitionString).toEqual({ 'Fn::Sub': [text, { a: alias, b: alias }] });
    expect(p('Inline').DefinitionString).toEqual({
      'Fn::Sub': '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${ApiTrafficShiftAlias}","End":true}}}',
    });
    expect(p('Substituted').DefinitionSubstitutions).toEqual({ fn: alias });
    expect(p('Flow').RoleArn).toEqual({ 'Fn::GetAtt': ['FlowRole', 'Arn'] });
    expect((p('FlowRole').Policies as any)[0].PolicyDocument.Statement[0].Resource).toEqual([arn, alias]);
    expect(plan.functions[0]?.events).toEqual(expect.arrayContaining(['stepFunctions flow']));
  });

  it('a state machine in allowBypass keeps the function, and says so in the plan', () => {
    const allowed = resolveSettings(service({ api: { type: 'Canary10Percent5Minutes', allowBypass: ['Flow'] } }));
    const flow = machine({ DefinitionString: { 'Fn::Sub': [text, { a: arn, b: arn }] } });
    const { template, plan } = applyTrafficShift(allowed, withResources({ Flow: flow }));
    expect(template.Resources.Flow).toEqual(flow);
    expect(plan.functions[0]?.bypasses).toEqual(['stepFunctions flow [Flow]']);
  });

  it('an ARN built with Fn::Join is rewired too; one written out as text still stops the build', () => {
    const joined = machine({
      DefinitionString: {
        'Fn::Join': ['', ['{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"', arn, '","End":true}}}']],
      },
    });
    const { template } = applyTrafficShift(settings(), withResources({ Flow: joined }));
    expect((template.Resources.Flow?.Properties as any).DefinitionString['Fn::Join'][1][1]).toEqual(alias);
    const literal = machine({
      DefinitionString:
        '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:svc-prod-api","End":true}}}',
    });
    expect(() => applyTrafficShift(settings(), withResources({ Flow: literal }))).toThrow(
      /Flow \(AWS::StepFunctions::StateMachine\) at Properties\.DefinitionString invokes function "api" without its alias/,
    );
  });
});

describe('AppSync data sources and Lambda authorizers', () => {
  const arn = { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] };
  const alias = { Ref: 'ApiTrafficShiftAlias' };
  const resources = (): Record<string, CfnResource> => ({
    Data: {
      Type: 'AWS::AppSync::DataSource',
      Properties: { Name: 'items', Type: 'AWS_LAMBDA', LambdaConfig: { LambdaFunctionArn: arn } },
    },
    GraphQlApi: {
      Type: 'AWS::AppSync::GraphQLApi',
      Properties: {
        Name: 'api',
        AuthenticationType: 'AWS_LAMBDA',
        LambdaAuthorizerConfig: { AuthorizerUri: arn },
        AdditionalAuthenticationProviders: [
          { AuthenticationType: 'API_KEY' },
          { AuthenticationType: 'AWS_LAMBDA', LambdaAuthorizerConfig: { AuthorizerUri: arn } },
        ],
      },
    },
    AuthorizerPermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: arn,
        Principal: 'appsync.amazonaws.com',
        SourceArn: { Ref: 'GraphQlApi' },
      },
    },
  });

  it('the data source, both authorizers and the permission of their API invoke the alias; the plan lists them', () => {
    const { template, plan } = applyTrafficShift(settings(), withResources(resources()));
    const p = (id: string) => template.Resources[id]?.Properties as Record<string, any>;
    expect(p('Data').LambdaConfig).toEqual({ LambdaFunctionArn: alias });
    expect(p('GraphQlApi').LambdaAuthorizerConfig).toEqual({ AuthorizerUri: alias });
    expect(p('GraphQlApi').AdditionalAuthenticationProviders).toEqual([
      { AuthenticationType: 'API_KEY' },
      { AuthenticationType: 'AWS_LAMBDA', LambdaAuthorizerConfig: { AuthorizerUri: alias } },
    ]);
    expect(p('AuthorizerPermission').FunctionName).toEqual(alias);
    expect(plan.functions[0]?.events).toEqual(
      expect.arrayContaining([
        'appSync data source items',
        'appSync Lambda authorizer of api',
        'permission for appsync.amazonaws.com',
      ]),
    );
  });

  it('an API in allowBypass keeps the function, and its permission too: the bypass check then names the permission', () => {
    const allowed = resolveSettings(service({ api: { type: 'Canary10Percent5Minutes', allowBypass: ['GraphQlApi'] } }));
    expect(() => applyTrafficShift(allowed, withResources(resources()))).toThrow(
      /AuthorizerPermission \(AWS::Lambda::Permission\) at Properties\.FunctionName invokes function "api" without its alias/,
    );
    const both = resolveSettings(
      service({ api: { type: 'Canary10Percent5Minutes', allowBypass: ['GraphQlApi', 'AuthorizerPermission'] } }),
    );
    const { template } = applyTrafficShift(both, withResources(resources()));
    expect(template.Resources.GraphQlApi).toEqual(resources().GraphQlApi);
    expect(template.Resources.AuthorizerPermission).toEqual(resources().AuthorizerPermission);
    expect((template.Resources.Data?.Properties as any).LambdaConfig).toEqual({ LambdaFunctionArn: alias });
  });

  it('a data source already qualified with another alias is left as it is: a bypass, unless allowed', () => {
    const qualified = { 'Fn::Join': [':', [arn, 'blue']] };
    const data = {
      Type: 'AWS::AppSync::DataSource',
      Properties: { Name: 'items', Type: 'AWS_LAMBDA', LambdaConfig: { LambdaFunctionArn: qualified } },
    };
    expect(() => applyTrafficShift(settings(), withResources({ Data: data }))).toThrow(
      'Data (AWS::AppSync::DataSource) at Properties.LambdaConfig.LambdaFunctionArn.Fn::Join[1][0] invokes function "api" through alias "blue" instead of its shifted alias',
    );
    const allowed = resolveSettings(service({ api: { type: 'Canary10Percent5Minutes', allowBypass: ['Data'] } }));
    const { template } = applyTrafficShift(allowed, withResources({ Data: data }));
    expect((template.Resources.Data?.Properties as any).LambdaConfig).toEqual({ LambdaFunctionArn: qualified });
  });

  it('a permission whose source does not call the alias stays on the function, and the bypass check names it', () => {
    const stray = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: arn,
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['Unrelated', 'Arn'] },
      },
    };
    const unrelated = { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 hour)' } };
    expect(() => applyTrafficShift(settings(), withResources({ Stray: stray, Unrelated: unrelated }))).toThrow(
      /Stray \(AWS::Lambda::Permission\)/,
    );
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
                  {
                    Effect: 'Allow',
                    Action: 'lambda:InvokeFunction',
                    Resource: {
                      'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-prod-api',
                    },
                  },
                  {
                    Effect: 'Allow',
                    Action: 'lambda:InvokeFunction',
                    Resource: [{ 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] }, { Ref: 'ApiTrafficShiftAlias' }],
                  },
                  {
                    Effect: 'Deny',
                    Action: 'lambda:InvokeFunction',
                    Resource: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] },
                  },
                  { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
                ],
              },
            },
          ],
        },
      },
      StandalonePolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Action: 'lambda:InvokeFunction',
                Resource: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] },
              },
            ],
          },
        },
      },
    });
    const { template: out } = applyTrafficShift(settings(), template);
    const statements = (out.Resources.DestinationRole?.Properties as any).Policies[0].PolicyDocument.Statement;
    expect(statements[0].Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-prod-api' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-prod-api:live' },
    ]);
    expect(statements[1].Resource).toEqual([
      { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] },
      { Ref: 'ApiTrafficShiftAlias' },
    ]);
    expect(statements[2]).toEqual({
      Effect: 'Deny',
      Action: 'lambda:InvokeFunction',
      Resource: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] },
    });
    expect(statements[3]).toEqual({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' });
    expect((out.Resources.StandalonePolicy?.Properties as any).PolicyDocument.Statement[0].Resource).toEqual([
      { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] },
      { Ref: 'ApiTrafficShiftAlias' },
    ]);
  });
});
