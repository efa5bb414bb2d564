/**
 * The bypass check fires on what the user wrote in `resources:` (fixtures `bypass-*`): each fixture has a shifted
 * function `worker` (and a second shifted function, `other`) and one hand-written resource that invokes `worker`
 * without its alias: the bare function, or through another alias of it or a version. Packaged in stage `dev`, the build must stop with TRAFFIC_SHIFT_BYPASS, naming the resource, the
 * property path and the fix, and write no template. In stage `allowed` the fixture lists that resource in
 * `functions.worker.deploymentSettings.allowBypass` (through `${self:custom.bypassExceptions.${sls:stage}}`), and the
 * same service packages, the resource left as written.
 */
import * as path from 'path';
import {
  packageFixture,
  packageFixtureExpectingFailure,
  properties,
  REPO_ROOT,
  type PackagingFailure,
} from './helpers';

// The class the plugin throws, from the build the fixtures load (the framework runs in this test's module registry).
const { ServerlessError: PluginError } = require(path.join(REPO_ROOT, 'dist', 'errors')) as {
  ServerlessError: abstract new (...args: never[]) => Error;
};

interface BypassCase {
  fixture: string;
  what: string;
  resource: string;
  type: string;
  /** Where in the resource the bare function is named, as the message must say it. */
  at: string;
  /** The value at that property, unchanged when the resource is allowed. */
  property: string;
  value: unknown;
  /** What it invokes instead of the alias, when not the bare function. */
  through?: string;
}

const CASES: BypassCase[] = [
  {
    fixture: 'bypass-sns-subscription',
    what: "an SNS subscription whose endpoint is the function's ARN (Fn::GetAtt Arn)",
    resource: 'HandSubscription',
    type: 'AWS::SNS::Subscription',
    at: 'Properties.Endpoint',
    property: 'Endpoint',
    value: { 'Fn::GetAtt': ['WorkerLambdaFunction', 'Arn'] },
  },
  {
    fixture: 'bypass-api-method',
    what: "an API Gateway method whose integration URI holds the function's ARN",
    resource: 'HandMethod',
    type: 'AWS::ApiGateway::Method',
    at: 'Properties.Integration.Uri.Fn::Join[1][5]',
    property: 'Integration',
    value: {
      Type: 'AWS_PROXY',
      IntegrationHttpMethod: 'POST',
      Uri: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':apigateway:',
            { Ref: 'AWS::Region' },
            ':lambda:path/2015-03-31/functions/',
            { 'Fn::GetAtt': ['WorkerLambdaFunction', 'Arn'] },
            '/invocations',
          ],
        ],
      },
    },
  },
  {
    fixture: 'bypass-permission',
    what: 'an invoke permission on the bare function (Ref of the function)',
    resource: 'HandPermission',
    type: 'AWS::Lambda::Permission',
    at: 'Properties.FunctionName',
    property: 'FunctionName',
    value: { Ref: 'WorkerLambdaFunction' },
  },
  {
    fixture: 'bypass-sub',
    what: "an EventBridge target whose ARN Fn::Sub builds from the function's deployed name",
    resource: 'HandRule',
    type: 'AWS::Events::Rule',
    at: 'Properties.Targets[0].Arn.Fn::Sub',
    property: 'Targets',
    value: [
      {
        Id: 'worker',
        Arn: {
          'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:bp-sub-allowed-worker',
        },
      },
    ],
  },
  {
    fixture: 'bypass-other-alias',
    what: 'an SNS subscription on another alias of the function, written in resources: (Ref of the alias)',
    resource: 'HandSubscription',
    type: 'AWS::SNS::Subscription',
    at: 'Properties.Endpoint',
    property: 'Endpoint',
    value: { Ref: 'WarmAlias' },
    through: 'alias "warm" (WarmAlias)',
  },
  {
    fixture: 'bypass-version-qualifier',
    what: "an EventBridge target whose ARN is the function's, qualified by a version number",
    resource: 'HandRule',
    type: 'AWS::Events::Rule',
    at: 'Properties.Targets[0].Arn.Fn::Join[1][0]',
    property: 'Targets',
    value: [{ Id: 'worker', Arn: { 'Fn::Join': [':', [{ 'Fn::GetAtt': ['WorkerLambdaFunction', 'Arn'] }, '3']] } }],
    through: 'version 3',
  },
];

describe.each(CASES)('$fixture: $what', ({ fixture, resource, type, at, property, value, through }) => {
  let failure: PackagingFailure;

  beforeAll(async () => {
    failure = await packageFixtureExpectingFailure(fixture);
  });

  it('stops the packaging with the plugin error TRAFFIC_SHIFT_BYPASS and writes no template', () => {
    expect(failure.error).toBeInstanceOf(PluginError);
    expect(failure.error.code).toBe('TRAFFIC_SHIFT_BYPASS');
    expect(failure.templateWritten).toBe(false);
  });

  it('names the function, the resource, its type and the property path, and nothing else', () => {
    const findings = failure.error.message.split('\n').filter((line) => line.startsWith('  - '));
    const how = through ? `through ${through} instead of its shifted alias` : 'without its alias';
    expect(findings).toEqual([`  - ${resource} (${type}) at ${at} invokes function "worker" ${how}`]);
    expect(failure.error.message).toMatch(/^Traffic would bypass the alias of "worker": /);
  });

  it('says how to fix it: the alias, or allowBypass for a deliberate exception', () => {
    expect(failure.error.message).toContain(
      'Fix: point them at the alias instead (Ref: <Function>TrafficShiftAlias, or the function ARN followed by ":<alias>")',
    );
    expect(failure.error.message).toContain('list the resource in deploymentSettings.allowBypass of that function');
  });

  it(`packages once ${resource} is listed in functions.worker.deploymentSettings.allowBypass, leaving it as written`, async () => {
    const { template } = await packageFixture(fixture, { stage: 'allowed' });
    expect(template.Resources.WorkerTrafficShiftAlias?.Type).toBe('AWS::Lambda::Alias');
    expect(template.Resources.OtherTrafficShiftAlias?.Type).toBe('AWS::Lambda::Alias');
    expect(properties(template, resource)[property]).toEqual(value);
  });
});
