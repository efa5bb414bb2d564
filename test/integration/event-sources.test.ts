/**
 * Every event type of the README table "Event sources and the bypass check" reaches a shifted function through its
 * alias (fixtures `event-sources/*`, every function shifted by `custom.deploymentSettings`):
 * - api: http (token and request authorizers that are shifted functions themselves, one with a route of its own,
 *   and an external one), httpApi (Lambda request and JWT authorizers), websocket (routes and authorizer), alb, url;
 * - messaging: sns (by name, by ARN, with filter policies), sqs, stream (DynamoDB, Kinesis, EFO consumer), msk,
 *   kafka, activemq, rabbitmq;
 * - aws-services: schedule (rule and scheduler), eventBridge (default bus, custom bus, existing bus, patterns),
 *   cloudwatchEvent, cloudwatchLog, s3 (two events on one function), cognitoUserPool, alexaSkill, alexaSmartHome,
 *   iot (and a hand-written rule of several actions), iotFleetProvisioning, destinations, provisionedConcurrency
 *   (with a function URL and an sqs event);
 * - custom-resources: s3 and cognitoUserPool with `existing: true`, whose framework custom resources the plugin
 *   replaces by its own, on the alias; eventbridge-custom-resource: eventBridge with
 *   `provider.eventBridge.useCloudFormation: false` stops the build when the function's own settings ask for a shift
 *   (-defaults: covered by custom.deploymentSettings only, it is left alone, with a warning); custom-resources-allowed:
 *   all three listed in allowBypass package as the framework made them;
 * - cloudfront / cloudfront-disabled / cloudfront-defaults: Lambda@Edge with its own deploymentSettings stops the build;
 *   `enabled: false` on that function packages; with custom.deploymentSettings only it is left alone, with a warning;
 * - variants: http with integration: lambda, async and IAM authorization, stream and sqs with failure destinations,
 *   schedule with input and the scheduler with a time zone, destinations, websocket, url, sns with a redrive policy.
 *
 * Services are packaged by the `serverless` executable in child processes, a few at a time; `serverless traffic plan`
 * runs once on aws-services. Each property path asserted here was read from the template the framework wrote.
 */
import * as path from 'path';
import {
  describeWithCfnLint,
  idsOfType,
  lintAgainstBaselines,
  packageFixtureExpectingFailure,
  properties,
  REPO_ROOT,
  withoutPackagingTimestamp,
  type CfnTemplate,
  type PackagingFailure,
  aliasOf,
  expectTemplate,
  inParallel,
  invokingReferences,
  planEvents,
  spawnBaseline,
  spawnServerless,
  valueAt,
  type Written,
} from './helpers';

const SERVICES = {
  api: 'event-sources/api',
  messaging: 'event-sources/messaging',
  aws: 'event-sources/aws-services',
  customResources: 'event-sources/custom-resources',
  customResourcesAllowed: 'event-sources/custom-resources-allowed',
  edgeDisabled: 'event-sources/cloudfront-disabled',
  edgeDefaults: 'event-sources/cloudfront-defaults',
  busDefaults: 'event-sources/eventbridge-custom-resource-defaults',
  variants: 'event-sources/variants',
} as const;
type Service = keyof typeof SERVICES;
const SERVICE_NAMES = Object.keys(SERVICES) as Service[];

const templates = {} as Record<Service, CfnTemplate>;
const written = {} as Partial<Record<Service, Written>>;
let plan: Written;
let cloudFront: PackagingFailure;
let eventBridgeCustomResource: PackagingFailure;

beforeAll(async () => {
  // The failing services are packaged in-process, one after the other (the error object carries the code), while
  // the others package in child processes.
  const failures = (async () => [
    await packageFixtureExpectingFailure('event-sources/cloudfront'),
    await packageFixtureExpectingFailure('event-sources/eventbridge-custom-resource'),
  ])();
  const packagings = inParallel(
    SERVICE_NAMES.map((service) => async () => {
      written[service] = await spawnServerless(SERVICES[service], ['package']);
      templates[service] = expectTemplate(SERVICES[service], written[service] as Written);
      // The plan packages again in the same directory: only after the template above was read.
      if (service === 'aws') plan = await spawnServerless(SERVICES.aws, ['traffic', 'plan']);
    }),
  );
  [[cloudFront, eventBridgeCustomResource]] = (await Promise.all([failures, packagings])) as [
    [PackagingFailure, PackagingFailure],
    unknown,
  ];
});

/** Rows of [path in the template, expected value]; each row is one assertion with its path in the title. */
type Rows = [string, unknown][];

function expectRows(service: Service, rows: Rows): void {
  it.each(rows)(`${SERVICES[service]}: %s`, (at, expected) => {
    expect(valueAt(templates[service], at)).toEqual(expected);
  });
}

const A = aliasOf;
/** `Fn::Join[1][5]`: where the function ARN sits in the framework's `arn:…:apigateway:…/functions/<arn>/invocations`. */
const IN_URI = 'Fn::Join[1][5]';

describe('every service: no invoking position names a shifted function without its alias', () => {
  it.each(SERVICE_NAMES)('%s', (service) => {
    const template = templates[service];
    const shifted = idsOfType(template, 'AWS::Lambda::Alias').map(
      (id) => (properties(template, id).FunctionName as { Ref: string }).Ref,
    );
    // Every function of the service has its alias, except the custom resource handlers of the framework and of the
    // plugin (not in functions:), the Lambda@Edge functions (enabled: false, or covered by the defaults only) and the
    // function whose events use the framework's EventBridge custom resource (covered by the defaults only).
    const unshifted = service === 'busDefaults' ? ['BusLambdaFunction'] : ['EdgeLambdaFunction'];
    const functions = idsOfType(template, 'AWS::Lambda::Function').filter(
      (id) =>
        !id.startsWith('CustomDashresource') && !unshifted.includes(id) && id !== 'TrafficShiftExistingSourcesHandler',
    );
    expect([...shifted].sort()).toEqual(functions);
    // The custom resources of customResourcesAllowed name their functions by deployed name: allowBypass lets them.
    const allowed = (ref: { path: string }) =>
      service === 'customResourcesAllowed' &&
      /^(BusCustomEventBridge[123]|ExistingUploadsCustomS31|ExistingPoolTriggerCustomCognitoUserPool1)\.Properties\.FunctionName$/.test(
        ref.path,
      );
    for (const functionId of shifted)
      expect([functionId, invokingReferences(template, functionId).filter((ref) => !allowed(ref))]).toEqual([
        functionId,
        [],
      ]);
  });

  it.each(SERVICE_NAMES)(
    '%s: every AWS::Lambda::Permission is on an alias of the plugin, or on a function outside the stack',
    (service) => {
      const template = templates[service];
      for (const id of idsOfType(template, 'AWS::Lambda::Permission')) {
        const target = properties(template, id).FunctionName;
        const onAlias =
          typeof target === 'object' &&
          target !== null &&
          /TrafficShiftAlias$/.test(String((target as { Ref?: unknown }).Ref));
        const external =
          typeof target === 'string' && target.startsWith('arn:aws:lambda:us-east-1:123456789012:function:external-');
        // The Lambda@Edge function of edgeDisabled and edgeDefaults is not shifted: its permission stays on its version.
        const unshiftedEdge =
          (service === 'edgeDisabled' || service === 'edgeDefaults') && id === 'EdgeLambdaFunctionInvokePermission';
        expect([id, onAlias || external || unshiftedEdge]).toEqual([id, true]);
      }
    },
  );
});

describe('http (REST API)', () => {
  expectRows('api', [
    [`ApiGatewayMethodOpenGet.Properties.Integration.Uri.${IN_URI}`, A('Rest')],
    [`ApiGatewayMethodTokGet.Properties.Integration.Uri.${IN_URI}`, A('Rest')],
    [`ApiGatewayMethodReqPost.Properties.Integration.Uri.${IN_URI}`, A('Rest')],
    [`ApiGatewayMethodExtGet.Properties.Integration.Uri.${IN_URI}`, A('Rest')],
    ['RestLambdaPermissionApiGateway.Properties.FunctionName', A('Rest')],
  ]);

  it('integrates every method through the whole invocation URI of the alias', () => {
    const handlers: Record<string, string> = {
      ApiGatewayMethodExtGet: 'Rest',
      ApiGatewayMethodOpenGet: 'Rest',
      ApiGatewayMethodReqPost: 'Rest',
      ApiGatewayMethodTokGet: 'Rest',
      ApiGatewayMethodWhoamiGet: 'TokenAuth',
    };
    expect(idsOfType(templates.api, 'AWS::ApiGateway::Method')).toEqual(Object.keys(handlers));
    for (const [id, fn] of Object.entries(handlers)) {
      expect([id, valueAt(templates.api, `${id}.Properties.Integration.Uri`)]).toEqual([
        id,
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':apigateway:',
              { Ref: 'AWS::Region' },
              ':lambda:path/2015-03-31/functions/',
              A(fn),
              '/invocations',
            ],
          ],
        },
      ]);
    }
  });
});

describe('http authorizers: token and request authorizers that are shifted functions of the service', () => {
  expectRows('api', [
    ['TokenAuthApiGatewayAuthorizer.Properties.Type', 'TOKEN'],
    [`TokenAuthApiGatewayAuthorizer.Properties.AuthorizerUri.${IN_URI}`, A('TokenAuth')],
    ['TokenAuthLambdaPermissionApiGateway.Properties.FunctionName', A('TokenAuth')],
    ['ApiGatewayMethodTokGet.Properties.AuthorizerId', { Ref: 'TokenAuthApiGatewayAuthorizer' }],
    // The token authorizer serves a route of its own too (one permission covers both uses).
    [`ApiGatewayMethodWhoamiGet.Properties.Integration.Uri.${IN_URI}`, A('TokenAuth')],
    ['RequestAuthApiGatewayAuthorizer.Properties.Type', 'REQUEST'],
    [`RequestAuthApiGatewayAuthorizer.Properties.AuthorizerUri.${IN_URI}`, A('RequestAuth')],
    ['RequestAuthLambdaPermissionApiGateway.Properties.FunctionName', A('RequestAuth')],
    ['ApiGatewayMethodReqPost.Properties.AuthorizerId', { Ref: 'RequestAuthApiGatewayAuthorizer' }],
    // An authorizer outside the stack is left as the user wrote it.
    [
      `ExtTokApiGatewayAuthorizer.Properties.AuthorizerUri.${IN_URI}`,
      'arn:aws:lambda:us-east-1:123456789012:function:external-authorizer',
    ],
    [
      'ExtTokLambdaPermissionApiGateway.Properties.FunctionName',
      'arn:aws:lambda:us-east-1:123456789012:function:external-authorizer',
    ],
  ]);
});

describe('httpApi: routes, a Lambda request authorizer and a JWT authorizer', () => {
  expectRows('api', [
    ['HttpApiIntegrationItems.Properties.IntegrationUri', A('Items')],
    ['ItemsLambdaPermissionHttpApi.Properties.FunctionName', A('Items')],
    ['HttpApiAuthorizerLambdaReq.Properties.AuthorizerType', 'REQUEST'],
    [`HttpApiAuthorizerLambdaReq.Properties.AuthorizerUri.${IN_URI}`, A('HttpAuth')],
    ['LambdaReqLambdaAuthorizerPermissionHttpApi.Properties.FunctionName', A('HttpAuth')],
    ['HttpApiRouteGetLam.Properties.AuthorizerId', { Ref: 'HttpApiAuthorizerLambdaReq' }],
    ['HttpApiRouteGetJwt.Properties.AuthorizerId', { Ref: 'HttpApiAuthorizerJwtAuth' }],
    ['HttpApiRouteGetJwt.Properties.AuthorizationType', 'JWT'],
  ]);

  it('keeps the JWT authorizer, which calls no function, exactly as the framework compiles it', () => {
    expect(templates.api.Resources.HttpApiAuthorizerJwtAuth).toEqual({
      Type: 'AWS::ApiGatewayV2::Authorizer',
      Properties: {
        ApiId: { Ref: 'HttpApi' },
        Name: 'jwtAuth',
        IdentitySource: ['$request.header.Authorization'],
        AuthorizerType: 'JWT',
        JwtConfiguration: { Audience: ['aud1'], Issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc' },
      },
    });
  });
});

describe('websocket: routes and their authorizer', () => {
  expectRows('api', [
    [`WsConnectWebsocketsIntegration.Properties.IntegrationUri.${IN_URI}`, A('WsConnect')],
    ['WsConnectLambdaPermissionWebsockets.Properties.FunctionName', A('WsConnect')],
    [`WsMessageWebsocketsIntegration.Properties.IntegrationUri.${IN_URI}`, A('WsMessage')],
    ['WsMessageLambdaPermissionWebsockets.Properties.FunctionName', A('WsMessage')],
    [`WsAuthWebsocketsAuthorizer.Properties.AuthorizerUri.${IN_URI}`, A('WsAuth')],
    ['WsAuthLambdaPermissionWebsockets.Properties.FunctionName', A('WsAuth')],
  ]);
});

describe('alb', () => {
  expectRows('api', [
    ['AlbTargetAlbTargetGroup50dc6c495c0c9188.Properties.TargetType', 'lambda'],
    ['AlbTargetAlbTargetGroup50dc6c495c0c9188.Properties.Targets', [{ Id: A('AlbTarget') }]],
    ['AlbTargetLambdaPermissionAlb.Properties.FunctionName', A('AlbTarget')],
    ['AlbTargetLambdaPermissionRegisterTarget.Properties.FunctionName', A('AlbTarget')],
  ]);
});

describe('url (function URLs)', () => {
  expectRows('api', [
    ['UrlPublicLambdaFunctionUrl.Properties.TargetFunctionArn', { 'Fn::GetAtt': ['UrlPublicLambdaFunction', 'Arn'] }],
    ['UrlPublicLambdaFunctionUrl.Properties.Qualifier', 'live'],
    ['UrlPublicLambdaFunctionUrl.Properties.AuthType', 'NONE'],
    ['UrlPublicLambdaPermissionFnUrl.Properties.FunctionName', A('UrlPublic')],
    ['UrlPublicLambdaPermissionFnUrl.Properties.Action', 'lambda:InvokeFunctionUrl'],
    ['UrlIamLambdaFunctionUrl.Properties.TargetFunctionArn', { 'Fn::GetAtt': ['UrlIamLambdaFunction', 'Arn'] }],
    ['UrlIamLambdaFunctionUrl.Properties.Qualifier', 'live'],
    ['UrlIamLambdaFunctionUrl.Properties.AuthType', 'AWS_IAM'],
  ]);
});

describe('sns: topic by name (inline subscription), by ARN, with filter policies', () => {
  expectRows('messaging', [
    ['SNSTopicMytopic.Properties.Subscription', [{ Endpoint: A('Topics'), Protocol: 'lambda' }]],
    ['TopicsLambdaPermissionMytopicSNS.Properties.FunctionName', A('Topics')],
    ['TopicsSnsSubscriptionExttopic.Properties.Endpoint', A('Topics')],
    ['TopicsSnsSubscriptionExttopic.Properties.TopicArn', 'arn:aws:sns:us-east-1:123456789012:ext-topic'],
    ['TopicsLambdaPermissionExttopicSNS.Properties.FunctionName', A('Topics')],
    ['TopicsSnsSubscriptionFilteredtopic.Properties.Endpoint', A('Topics')],
    ['TopicsSnsSubscriptionFilteredtopic.Properties.FilterPolicy', { kind: ['a', 'b'] }],
    ['TopicsLambdaPermissionFilteredtopicSNS.Properties.FunctionName', A('Topics')],
    ['TopicsSnsSubscriptionExttopic2.Properties.Endpoint', A('Topics')],
    ['TopicsSnsSubscriptionExttopic2.Properties.FilterPolicy', { kind: ['c'] }],
    ['TopicsLambdaPermissionExttopic2SNS.Properties.FunctionName', A('Topics')],
  ]);
});

describe('poll-based sources: AWS::Lambda::EventSourceMapping FunctionName', () => {
  expectRows('messaging', [
    ['QueueEventSourceMappingSQSMyqueue.Properties.FunctionName', A('Queue')],
    ['QueueEventSourceMappingSQSMyQueue.Properties.FunctionName', A('Queue')],
    ['StreamsEventSourceMappingDynamodbMytable.Properties.FunctionName', A('Streams')],
    ['StreamsEventSourceMappingKinesisMystream.Properties.FunctionName', A('Streams')],
    ['StreamsEventSourceMappingKinesisMyefostream.Properties.FunctionName', A('Streams')],
    [
      'StreamsEventSourceMappingKinesisMyefostream.Properties.EventSourceArn',
      { Ref: 'StreamsmyDashefoDashstreamConsumerStreamConsumer' },
    ],
    ['MskEventSourceMappingMSKMyclusterMytopic.Properties.FunctionName', A('Msk')],
    ['KafkaEventSourceMappingKafkaMytopic.Properties.FunctionName', A('Kafka')],
    ['ActivemqEventSourceMappingActiveMQMyqueue.Properties.FunctionName', A('Activemq')],
    ['RabbitmqEventSourceMappingRabbitMQMyqueue.Properties.FunctionName', A('Rabbitmq')],
  ]);

  it('has exactly these event source mappings', () => {
    expect(idsOfType(templates.messaging, 'AWS::Lambda::EventSourceMapping')).toEqual([
      'ActivemqEventSourceMappingActiveMQMyqueue',
      'KafkaEventSourceMappingKafkaMytopic',
      'MskEventSourceMappingMSKMyclusterMytopic',
      'QueueEventSourceMappingSQSMyQueue',
      'QueueEventSourceMappingSQSMyqueue',
      'RabbitmqEventSourceMappingRabbitMQMyqueue',
      'StreamsEventSourceMappingDynamodbMytable',
      'StreamsEventSourceMappingKinesisMyefostream',
      'StreamsEventSourceMappingKinesisMystream',
    ]);
  });
});

/** The IAM statement (of any role's inline policies) whose Resource list holds `arn`; throws when none does. */
function statementWith(template: CfnTemplate, arn: unknown): { path: string; Action: unknown; Resource: unknown[] } {
  for (const roleId of idsOfType(template, 'AWS::IAM::Role')) {
    const policies = (properties(template, roleId).Policies ?? []) as {
      PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] };
    }[];
    for (const [p, policy] of policies.entries()) {
      for (const [s, statement] of policy.PolicyDocument.Statement.entries()) {
        const resources = [statement.Resource].flat();
        if (resources.some((r) => JSON.stringify(r) === JSON.stringify(arn))) {
          return {
            path: `${roleId}.Properties.Policies[${p}].PolicyDocument.Statement[${s}]`,
            Action: statement.Action,
            Resource: resources,
          };
        }
      }
    }
  }
  throw new Error(`No IAM statement names ${JSON.stringify(arn)}`);
}

const lambdaArn = (scope: string, name: string): { 'Fn::Sub': string } => ({
  'Fn::Sub': `arn:\${AWS::Partition}:lambda:${scope}:function:${name}`,
});
const HERE = '${AWS::Region}:${AWS::AccountId}';

describe('schedule: EventBridge rule and EventBridge Scheduler', () => {
  expectRows('aws', [
    ['ScheduledEventsRuleSchedule1.Properties.Targets[0].Arn', A('Scheduled')],
    ['ScheduledLambdaPermissionEventsRuleSchedule1.Properties.FunctionName', A('Scheduled')],
    ['ScheduledSchedulerSchedule2.Properties.Target.Arn', A('Scheduled')],
    ['ScheduledSchedulerSchedule2.Properties.Target.RoleArn', { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] }],
  ]);

  it("lets the scheduler's role invoke the alias", () => {
    const statement = statementWith(templates.aws, lambdaArn(HERE, 'es-aws-dev-scheduled'));
    expect([statement.Action].flat()).toContain('lambda:InvokeFunction');
    expect(statement.Resource).toContainEqual(lambdaArn(HERE, 'es-aws-dev-scheduled:live'));
  });
});

describe('eventBridge: default bus, custom bus, existing bus, patterns (native CloudFormation)', () => {
  expectRows('aws', [
    ['Esawsdevbusrule1EventBridgeRule.Properties.Targets[0].Arn', A('Bus')],
    ['BusEventBridgeLambdaPermission1.Properties.FunctionName', A('Bus')],
    ['Esawsdevbusrule2EventBridgeRule.Properties.EventBusName', 'my-custom-bus'],
    ['Esawsdevbusrule2EventBridgeRule.Properties.Targets[0].Arn', A('Bus')],
    ['BusEventBridgeLambdaPermission2.Properties.FunctionName', A('Bus')],
    ['Esawsdevbusrule3EventBridgeRule.Properties.EventBusName', 'ext-bus'],
    ['Esawsdevbusrule3EventBridgeRule.Properties.Targets[0].Arn', A('Bus')],
    ['BusEventBridgeLambdaPermission3.Properties.FunctionName', A('Bus')],
  ]);
});

describe('less common forms (variants)', () => {
  expectRows('variants', [
    [`ApiGatewayMethodNpPost.Properties.Integration.Uri.${IN_URI}`, A('NonProxy')],
    ['ApiGatewayMethodNpPost.Properties.Integration.Type', 'AWS'],
    [`ApiGatewayMethodAsyncyPost.Properties.Integration.Uri.${IN_URI}`, A('NonProxy')],
    [`ApiGatewayMethodCorsGet.Properties.Integration.Uri.${IN_URI}`, A('NonProxy')],
    ['SchedSchedulerSchedule2.Properties.Target.Arn', A('Sched')],
    ['SchedSchedulerSchedule2.Properties.ScheduleExpressionTimezone', 'Europe/Paris'],
    ['SchedLambdaEvConf.Properties.Qualifier', 'live'],
    ['SchedLambdaEvConf.Properties.DestinationConfig.OnSuccess.Destination', A('Streamer')],
    ['PubSnsSubscriptionExternaltopic.Properties.Endpoint', A('Pub')],
    [
      'PubSnsSubscriptionExternaltopic.Properties.RedrivePolicy',
      { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq' },
    ],
  ]);
});

describe('cloudwatchEvent and cloudwatchLog', () => {
  expectRows('aws', [
    ['CwEventEventsRuleCloudWatchEvent1.Properties.Targets[0].Arn', A('CwEvent')],
    ['CwEventLambdaPermissionEventsRuleCloudWatchEvent1.Properties.FunctionName', A('CwEvent')],
    ['CwEventEventsRuleCloudWatchEvent2.Properties.Targets[0].Arn', A('CwEvent')],
    ['CwEventLambdaPermissionEventsRuleCloudWatchEvent2.Properties.FunctionName', A('CwEvent')],
    ['CwLogLogsSubscriptionFilterCloudWatchLog1.Properties.DestinationArn', A('CwLog')],
    ['CwLogLogsSubscriptionFilterCloudWatchLog2.Properties.DestinationArn', A('CwLog')],
    ['CwLogLambdaPermissionLogsSubscriptionFilterCloudWatchLog.Properties.FunctionName', A('CwLog')],
  ]);
});

describe('s3: a bucket the framework creates (two events on one function)', () => {
  expectRows('aws', [
    ['S3BucketEsawsnewbucket.Properties.NotificationConfiguration.LambdaConfigurations[0].Event', 's3:ObjectCreated:*'],
    ['S3BucketEsawsnewbucket.Properties.NotificationConfiguration.LambdaConfigurations[0].Function', A('Uploads')],
    ['S3BucketEsawsnewbucket.Properties.NotificationConfiguration.LambdaConfigurations[1].Event', 's3:ObjectRemoved:*'],
    ['S3BucketEsawsnewbucket.Properties.NotificationConfiguration.LambdaConfigurations[1].Function', A('Uploads')],
    ['UploadsLambdaPermissionEsawsnewbucketS3.Properties.FunctionName', A('Uploads')],
  ]);
});

describe('cognitoUserPool: a pool the framework creates', () => {
  expectRows('aws', [
    ['CognitoUserPoolMyNewPool.Properties.LambdaConfig', { PreSignUp: A('Signup'), PostConfirmation: A('Signup') }],
    ['SignupLambdaPermissionCognitoUserPoolMyNewPoolTriggerSourcePreSignUp.Properties.FunctionName', A('Signup')],
    [
      'SignupLambdaPermissionCognitoUserPoolMyNewPoolTriggerSourcePostConfirmation.Properties.FunctionName',
      A('Signup'),
    ],
  ]);
});

describe("existing S3 bucket and existing user pool: the framework's custom resources are taken over by the plugin's, on the alias", () => {
  const t = () => templates.customResources;
  const handlerArn = { 'Fn::GetAtt': ['TrafficShiftExistingSourcesHandler', 'Arn'] };

  it("replaces the framework's Custom::S3 by Custom::TrafficShiftExistingBucket with the alias ARN and the same bucket settings", () => {
    expect(t().Resources.ExistingUploadsCustomS31).toBeUndefined();
    expect(t().Resources.ExistingUploadsCustomS31TrafficShift).toEqual({
      Type: 'Custom::TrafficShiftExistingBucket',
      Properties: {
        ServiceToken: handlerArn,
        FunctionArn: A('ExistingUploads'),
        BucketName: 'es-cr-existing-bucket',
        BucketConfigs: [
          { Event: 's3:ObjectCreated:*', Rules: [{ Suffix: '.jpg' }] },
          { Event: 's3:ObjectRemoved:*', Rules: [] },
        ],
      },
    });
  });

  it("replaces the framework's Custom::CognitoUserPool by Custom::TrafficShiftExistingUserPool with the alias ARN and both triggers", () => {
    expect(t().Resources.ExistingPoolTriggerCustomCognitoUserPool1).toBeUndefined();
    expect(t().Resources.ExistingPoolTriggerCustomCognitoUserPool1TrafficShift).toEqual({
      Type: 'Custom::TrafficShiftExistingUserPool',
      Properties: {
        ServiceToken: handlerArn,
        FunctionArn: A('ExistingPoolTrigger'),
        UserPoolName: 'ExistingPool',
        UserPoolConfigs: [{ Trigger: 'PreTokenGeneration' }, { Trigger: 'CustomMessage' }],
      },
    });
  });

  it('serves both from one inline Node.js 22 handler whose role may add permissions on these aliases only', () => {
    const handler = properties(t(), 'TrafficShiftExistingSourcesHandler');
    expect(handler).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: { 'Fn::GetAtt': ['TrafficShiftExistingSourcesRole', 'Arn'] },
    });
    expect((handler.Code as { ZipFile: string }).ZipFile).toContain('exports.handler');
    const statements = (
      properties(t(), 'TrafficShiftExistingSourcesRole').Policies as {
        PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] };
      }[]
    )[0]?.PolicyDocument.Statement;
    expect(statements?.[0]).toEqual({
      Effect: 'Allow',
      Action: ['lambda:AddPermission', 'lambda:RemovePermission'],
      Resource: [A('ExistingUploads'), A('ExistingPoolTrigger')],
    });
  });

  it("drops the framework's handlers (nodejs18.x, which Lambda no longer creates or updates), their log groups and role, which served nothing else", async () => {
    const framework = (template: CfnTemplate) =>
      Object.keys(template.Resources)
        .filter((id) => id.startsWith('CustomDashresource') || id === 'IamRoleCustomResourcesLambdaExecution')
        .sort();
    expect(framework(await spawnBaseline(SERVICES.customResources))).toEqual([
      'CustomDashresourceDashexistingDashcupLambdaFunction',
      'CustomDashresourceDashexistingDashs3LambdaFunction',
      'IamRoleCustomResourcesLambdaExecution',
    ]);
    expect(framework(t())).toEqual([]);
    expect(JSON.stringify(t())).not.toContain('nodejs18.x');
  });
});

describe('eventBridge with provider.eventBridge.useCloudFormation: false, custom.deploymentSettings only', () => {
  it('leaves that function as without the plugin (its custom resource names the function), shifts the other, and says so', async () => {
    const template = templates.busDefaults;
    expect(idsOfType(template, 'AWS::Lambda::Alias')).toEqual(['ApiTrafficShiftAlias']);
    expect(template.Resources.BusCustomEventBridge1?.Properties?.FunctionName).toBe('es-ebcr-defaults-dev-bus');
    expect(template.Resources.BusCustomEventBridge1).toEqual(
      (await spawnBaseline(SERVICES.busDefaults)).Resources.BusCustomEventBridge1,
    );
    expect(written.busDefaults?.stderr ?? '').toContain(
      'serverless-traffic-shift: bus is not shifted: its eventBridge events go through the framework',
    );
  });
});

describe('eventBridge with provider.eventBridge.useCloudFormation: false', () => {
  it('stops the packaging of a shifted function with TRAFFIC_SHIFT_BYPASS, names each rule, says to use CloudFormation, and writes no template', () => {
    expect(eventBridgeCustomResource.error.code).toBe('TRAFFIC_SHIFT_BYPASS');
    expect(eventBridgeCustomResource.templateWritten).toBe(false);
    for (const id of ['BusCustomEventBridge1', 'BusCustomEventBridge2']) {
      const line = eventBridgeCustomResource.error.message
        .split('\n')
        .find((l) => l.includes(`${id} (Custom::EventBridge) at Properties.FunctionName invokes function "bus"`));
      expect(line).toContain('set provider.eventBridge.useCloudFormation: true');
    }
  });
});

describe("the framework's custom resources listed in allowBypass", () => {
  const cases: [string][] = [
    ['ExistingUploadsCustomS31'],
    ['ExistingPoolTriggerCustomCognitoUserPool1'],
    ['BusCustomEventBridge1'],
    ['BusCustomEventBridge2'],
    ['BusCustomEventBridge3'],
  ];

  // Left as the framework made them, each keeps the deployed name, so its handler works as without the plugin: its
  // first call is lambda:AddPermission with StatementId `${FunctionName}-${bucket, pool or rule}`, and Lambda accepts
  // [a-zA-Z0-9-_]{1,100} only.
  it.each(cases)('%s keeps the function name, and its handler can build a valid StatementId', (id) => {
    const resource = templates.customResourcesAllowed.Resources[id];
    const p = (resource?.Properties ?? {}) as Record<string, unknown>;
    expect(p.FunctionName).toMatch(/^es-cra-dev-(bus|existingUploads|existingPoolTrigger)$/);
    const [handler, second] =
      resource?.Type === 'Custom::S3'
        ? ['s3', p.BucketName]
        : resource?.Type === 'Custom::CognitoUserPool'
          ? ['cognito-user-pool', p.UserPoolName]
          : ['event-bridge', (p.EventBridgeConfig as { RuleName: string }).RuleName];
    expect(frameworkStatementId(handler, String(p.FunctionName), String(second))).toMatch(/^[a-zA-Z0-9_-]{1,100}$/);
  });

  it('the functions are still shifted through their aliases, and nothing is taken over', () => {
    expect(idsOfType(templates.customResourcesAllowed, 'AWS::Lambda::Alias')).toEqual([
      'BusTrafficShiftAlias',
      'ExistingPoolTriggerTrafficShiftAlias',
      'ExistingUploadsTrafficShiftAlias',
    ]);
    expect(idsOfType(templates.customResourcesAllowed, 'AWS::CodeDeploy::DeploymentGroup')).toHaveLength(3);
    expect(templates.customResourcesAllowed.Resources.TrafficShiftExistingSourcesHandler).toBeUndefined();
  });

  it("keeps the framework's handlers and their role, which serve them", () => {
    for (const id of [
      'CustomDashresourceDashexistingDashs3LambdaFunction',
      'CustomDashresourceDashexistingDashcupLambdaFunction',
      'CustomDashresourceDasheventDashbridgeLambdaFunction',
      'IamRoleCustomResourcesLambdaExecution',
    ]) {
      expect(Object.keys(templates.customResourcesAllowed.Resources)).toContain(id);
    }
  });
});

/** The StatementId the framework's custom resource handler (`custom-resources/resources/<handler>`) passes to AddPermission. */
function frameworkStatementId(handler: string, functionName: string, second: string): string {
  const file = path.join(
    REPO_ROOT,
    'node_modules',
    'serverless',
    'lib',
    'plugins',
    'aws',
    'custom-resources',
    'resources',
    handler,
    'lib',
    'permissions.js',
  );
  // The module creates a Lambda client when loaded; only its pure getStatementId is used, so the SDK is stubbed.
  jest.doMock(require.resolve('@aws-sdk/client-lambda', { paths: [path.dirname(file)] }), () => ({
    LambdaClient: class {},
    AddPermissionCommand: class {},
    RemovePermissionCommand: class {},
  }));
  const permissions = require(file) as { getStatementId(functionName: string, other: string): string };
  return permissions.getStatementId(functionName, second);
}

describe('alexaSkill and alexaSmartHome', () => {
  expectRows('aws', [
    ['SkillLambdaPermissionAlexaSkill1.Properties.FunctionName', A('Skill')],
    ['SkillLambdaPermissionAlexaSkill1.Properties.EventSourceToken', 'amzn1.ask.skill.xx-xx-xx-xx'],
    ['SkillLambdaPermissionAlexaSkill2.Properties.FunctionName', A('Skill')],
    ['SkillLambdaPermissionAlexaSkill2.Properties.EventSourceToken', 'amzn1.ask.skill.yy-yy-yy-yy'],
    ['SmartHomeLambdaPermissionAlexaSmartHome1.Properties.FunctionName', A('SmartHome')],
    ['SmartHomeLambdaPermissionAlexaSmartHome1.Properties.Principal', 'alexa-connectedhome.amazon.com'],
  ]);
});

describe('iot and iotFleetProvisioning', () => {
  // The framework compiles each iot event to a rule with a single Lambda action; the rule of several actions (and
  // a Lambda error action) is written in resources: with `Fn::Join [":", [Fn.Arn, "live"]]`.
  expectRows('aws', [
    ['DeviceIotTopicRule1.Properties.TopicRulePayload.Actions', [{ Lambda: { FunctionArn: A('Device') } }]],
    ['DeviceLambdaPermissionIotTopicRule1.Properties.FunctionName', A('Device')],
    ['DeviceIotTopicRule2.Properties.TopicRulePayload.Actions', [{ Lambda: { FunctionArn: A('Device') } }]],
    ['DeviceLambdaPermissionIotTopicRule2.Properties.FunctionName', A('Device')],
    ['MultiActionTopicRule.Properties.TopicRulePayload.Actions[0].Republish.Topic', 'republished'],
    ['MultiActionTopicRule.Properties.TopicRulePayload.Actions[1].Lambda.FunctionArn', A('Device')],
    ['MultiActionTopicRule.Properties.TopicRulePayload.ErrorAction.Lambda.FunctionArn', A('Device')],
    ['MultiActionTopicRulePermission.Properties.FunctionName', A('Device')],
    ['FleetIotProvisioningTemplate.Properties.PreProvisioningHook.TargetArn', A('Fleet')],
    ['FleetLambdaPermissionIotProvisioningTemplate.Properties.FunctionName', A('Fleet')],
  ]);
});

describe('destinations: asynchronous invocation settings on the alias, onFailure another shifted function', () => {
  expectRows('aws', [
    ['AsyncLambdaEvConf.Properties.FunctionName', { Ref: 'AsyncLambdaFunction' }],
    ['AsyncLambdaEvConf.Properties.Qualifier', 'live'],
    ['AsyncLambdaEvConf.DependsOn', 'AsyncTrafficShiftAlias'],
    ['AsyncLambdaEvConf.Properties.DestinationConfig.OnFailure.Destination', A('FailureHandler')],
    [
      'AsyncLambdaEvConf.Properties.DestinationConfig.OnSuccess.Destination',
      'arn:aws:sns:us-east-1:123456789012:success-topic',
    ],
  ]);

  it("lets the function's role invoke the destination's alias", () => {
    const statement = statementWith(templates.aws, lambdaArn(HERE, 'es-aws-dev-failureHandler'));
    expect(statement.path).toMatch(/^IamRoleLambdaExecution\./);
    expect([statement.Action].flat()).toEqual(['lambda:InvokeFunction']);
    expect(statement.Resource).toContainEqual(lambdaArn(HERE, 'es-aws-dev-failureHandler:live'));
  });
});

describe('provisionedConcurrency (with a function URL, a schedule and an sqs event)', () => {
  expectRows('aws', [
    ['WarmTrafficShiftAlias.Properties.ProvisionedConcurrencyConfig', { ProvisionedConcurrentExecutions: 2 }],
    ['WarmEventsRuleSchedule1.Properties.Targets[0].Arn', A('Warm')],
    ['WarmLambdaPermissionEventsRuleSchedule1.Properties.FunctionName', A('Warm')],
    ['WarmEventSourceMappingSQSWarmqueue.Properties.FunctionName', A('Warm')],
    ['WarmLambdaFunctionUrl.Properties.TargetFunctionArn', { 'Fn::GetAtt': ['WarmLambdaFunction', 'Arn'] }],
    ['WarmLambdaFunctionUrl.Properties.Qualifier', 'live'],
    ['WarmLambdaFunctionUrl.DependsOn', 'WarmTrafficShiftAlias'],
    ['WarmLambdaPermissionFnUrl.Properties.FunctionName', A('Warm')],
  ]);

  it("replaces the framework's provisioned alias: nothing is left of it", () => {
    expect(templates.aws.Resources.WarmProvConcLambdaAlias).toBeUndefined();
    expect(JSON.stringify(templates.aws)).not.toMatch(/ProvConcLambdaAlias|"provisioned"/);
  });
});

describe('cloudFront (Lambda@Edge)', () => {
  it('stops the packaging of a shifted Lambda@Edge function with TRAFFIC_SHIFT_BYPASS and writes no template', () => {
    expect(cloudFront.error.code).toBe('TRAFFIC_SHIFT_BYPASS');
    expect(cloudFront.templateWritten).toBe(false);
  });

  it('names the distribution and the association, says why (Lambda@Edge) and what to do (enabled: false)', () => {
    const { message } = cloudFront.error;
    expect(message).toContain(
      'CloudFrontDistribution (AWS::CloudFront::Distribution) at Properties.DistributionConfig.DefaultCacheBehavior.LambdaFunctionAssociations[0].LambdaFunctionARN',
    );
    expect(message).toContain('Lambda@Edge');
    expect(message).toContain('enabled: false');
    expect(message).toContain('function "edge"');
  });

  it('with custom.deploymentSettings only, the Lambda@Edge function is left as without the plugin, the other shifted, and the build says so', async () => {
    const template = templates.edgeDefaults;
    expect(idsOfType(template, 'AWS::Lambda::Alias')).toEqual(['ApiTrafficShiftAlias']);
    const baseline = await spawnBaseline(SERVICES.edgeDefaults);
    const edgeResources = (t: CfnTemplate) =>
      Object.fromEntries(
        Object.entries(t.Resources).filter(([id]) => id.startsWith('Edge') || id === 'CloudFrontDistribution'),
      );
    expect(withoutPackagingTimestamp(edgeResources(template))).toEqual(
      withoutPackagingTimestamp(edgeResources(baseline)),
    );
    const output = written.edgeDefaults?.stderr ?? '';
    expect(output).toContain(
      'serverless-traffic-shift: edge is not shifted: Lambda@Edge (cloudFront event): CloudFront invokes a published version, never an alias; custom.deploymentSettings leaves it as without the plugin.',
    );
  });

  it('packages with enabled: false on the Lambda@Edge function, which stays on its version, while the other function is shifted', () => {
    const template = templates.edgeDisabled;
    expect(idsOfType(template, 'AWS::Lambda::Alias')).toEqual(['ApiTrafficShiftAlias']);
    const edgeVersion = valueAt(
      template,
      'CloudFrontDistribution.Properties.DistributionConfig.DefaultCacheBehavior.LambdaFunctionAssociations[0].LambdaFunctionARN',
    ) as { Ref: string };
    expect(edgeVersion.Ref).toMatch(/^EdgeLambdaVersion/);
    expect(template.Resources[edgeVersion.Ref]?.Type).toBe('AWS::Lambda::Version');
    expect(valueAt(template, 'HttpApiIntegrationApi.Properties.IntegrationUri')).toEqual(A('Api'));
  });
});

describe('serverless traffic plan (aws-services, spawned)', () => {
  it('exits 0', () => {
    expect({ exitCode: plan.exitCode, output: plan.exitCode === 0 ? '' : `${plan.stdout}\n${plan.stderr}` }).toEqual({
      exitCode: 0,
      output: '',
    });
  });

  it('lists, per function, the event sources it found, each "→ alias"', () => {
    const events = planEvents(plan.stdout);
    expect(events).toEqual({
      scheduled: [
        'schedule rate(10 minutes) → alias',
        'schedule (scheduler) cron(0 12 * * ? *) → alias',
        '1 invoke permission(s), all on the alias',
      ],
      bus: [
        'schedule rate(10 minutes) → alias',
        'eventBridge rule es-aws-dev-bus-rule-2 on bus my-custom-bus → alias',
        'eventBridge rule es-aws-dev-bus-rule-3 on bus ext-bus → alias',
        '3 invoke permission(s), all on the alias',
      ],
      cwEvent: [
        'eventBridge rule CwEventEventsRuleCloudWatchEvent1 → alias',
        'eventBridge rule named-rule → alias',
        '2 invoke permission(s), all on the alias',
      ],
      cwLog: [
        'cloudwatchLog /aws/lambda/some-other-fn → alias',
        'cloudwatchLog /my/app/logs → alias',
        '1 invoke permission(s), all on the alias',
      ],
      uploads: ['s3 es-aws-new-bucket → alias', '1 invoke permission(s), all on the alias'],
      signup: ['cognitoUserPool MyNewPool → alias', '2 invoke permission(s), all on the alias'],
      skill: ['alexaSkill amzn1.ask.skill.xx-xx-xx-xx → alias', 'alexaSkill amzn1.ask.skill.yy-yy-yy-yy → alias'],
      smartHome: ['alexaSmartHome amzn1.ask.skill.zz-zz-zz-zz → alias'],
      device: [
        "iot SELECT * FROM 'some_topic' → alias",
        "iot SELECT * FROM 'other' → alias",
        "iot SELECT * FROM 'multi' → alias",
        '3 invoke permission(s), all on the alias',
      ],
      fleet: ['iotFleetProvisioning FleetIotProvisioningTemplate → alias', '1 invoke permission(s), all on the alias'],
      async: [],
      failureHandler: ['destinations (asynchronous invocation settings) → alias'],
      warm: [
        'function url → alias',
        'schedule rate(1 hour) → alias',
        'sqs arn:aws:sqs:us-east-1:123456789012:warm-queue → alias',
        '2 invoke permission(s), all on the alias',
      ],
    });
  });
});

describeWithCfnLint('cfn-lint: nothing the plugin introduced, compared with each service packaged without it', () => {
  it('finds no rule on any resource that it does not find in the baseline', async () => {
    const baselines = await inParallel(SERVICE_NAMES.map((service) => () => spawnBaseline(SERVICES[service])));
    const pairs = Object.fromEntries(
      SERVICE_NAMES.map((service, i) => [
        service,
        { withPlugin: templates[service], baseline: baselines[i] as CfnTemplate },
      ]),
    );
    expect(await lintAgainstBaselines(pairs)).toEqual(
      Object.fromEntries(SERVICE_NAMES.map((service) => [service, []])),
    );
  });
});
