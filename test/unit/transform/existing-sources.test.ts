/**
 * The writers of one existing bucket or user pool, the plugin's and the framework's: one strict order among them, and
 * no DependsOn left naming a resource the plugin replaced.
 */
import { resolveSettings } from '../../../src/config/resolve';
import { applyTrafficShift } from '../../../src/transform';
import type { CfnResource, CfnTemplate } from '../../../src/types/cloudformation';
import { compiledTemplate, service } from '../../support/service';

const S3_HANDLER = 'CustomDashresourceDashexistingDashs3LambdaFunction';
const POOL_HANDLER = 'CustomDashresourceDashexistingDashcupLambdaFunction';

/** api and jobs are shifted, worker is not (enabled: false). */
const settings = () =>
  resolveSettings(
    service({
      api: { type: 'Canary10Percent5Minutes' },
      worker: { type: 'AllAtOnce', enabled: false },
      jobs: { type: 'Linear10PercentEvery1Minute' },
    }),
  );

/** The framework's Custom::S3 of a function, as serverless 3.40 compiles it (DependsOn the function and the handler). */
function s3(fn: string, bucket: unknown = 'uploads', after: string[] = []): CfnResource {
  return {
    Type: 'Custom::S3',
    Version: 1,
    DependsOn: [`${fn}LambdaFunction`, S3_HANDLER, ...after],
    Properties: {
      ServiceToken: { 'Fn::GetAtt': [S3_HANDLER, 'Arn'] },
      FunctionName: `svc-dev-${fn.toLowerCase()}`,
      BucketName: bucket,
      BucketConfigs: [{ Event: 's3:ObjectCreated:*', Rules: [{ Prefix: `${fn.toLowerCase()}/` }] }],
    },
  };
}

function pool(fn: string, name = 'Users', after: string[] = []): CfnResource {
  return {
    Type: 'Custom::CognitoUserPool',
    Version: 1,
    DependsOn: [`${fn}LambdaFunction`, POOL_HANDLER, ...after],
    Properties: {
      ServiceToken: { 'Fn::GetAtt': [POOL_HANDLER, 'Arn'] },
      FunctionName: `svc-dev-${fn.toLowerCase()}`,
      UserPoolName: name,
      UserPoolConfigs: [
        { Trigger: fn === 'Api' ? 'PreSignUp' : fn === 'Worker' ? 'CustomMessage' : 'PostConfirmation' },
      ],
    },
  };
}

const handlerFunction: CfnResource = {
  Type: 'AWS::Lambda::Function',
  Properties: { Runtime: 'nodejs18.x', Role: { 'Fn::GetAtt': ['IamRoleCustomResourcesLambdaExecution', 'Arn'] } },
};

function template(resources: Record<string, CfnResource>): CfnTemplate {
  // worker is not shifted: the framework compiled it without an alias.
  const t = compiledTemplate(['api', 'jobs']);
  t.Resources.WorkerLambdaFunction = { Type: 'AWS::Lambda::Function', Properties: {} };
  for (const fn of ['Api', 'Worker', 'Jobs'])
    (t.Resources[`${fn}LambdaFunction`] as CfnResource).Properties = { FunctionName: `svc-dev-${fn.toLowerCase()}` };
  Object.assign(t.Resources, { [S3_HANDLER]: handlerFunction, [POOL_HANDLER]: handlerFunction }, resources);
  return t;
}

const dependsOn = (t: CfnTemplate, id: string): unknown => t.Resources[id]?.DependsOn;

/** Every DependsOn of the template names a resource of the template. */
function danglingDependsOn(t: CfnTemplate): string[] {
  return Object.entries(t.Resources).flatMap(([id, r]) =>
    [r.DependsOn ?? []]
      .flat()
      .filter((d) => !(d in t.Resources))
      .map((d) => `${id} → ${d}`),
  );
}

/** The writers of one bucket or pool in the order their DependsOn chain imposes (each names the one before it). */
function chainOrder(t: CfnTemplate, ids: string[]): string[] {
  const before = (a: string, b: string): boolean => [t.Resources[b]?.DependsOn ?? []].flat().includes(a);
  const first = ids.filter((id) => !ids.some((other) => before(other, id)));
  expect(first).toHaveLength(1);
  const order = [first[0] as string];
  while (order.length < ids.length) {
    const next = ids.filter((id) => before(order[order.length - 1] as string, id));
    expect(next).toHaveLength(1);
    order.push(next[0] as string);
  }
  return order;
}

describe('writers of one existing bucket', () => {
  // The framework's chain: Api, then Worker, then Jobs.
  const input = () =>
    template({
      ApiCustomS31: s3('Api'),
      WorkerCustomS31: s3('Worker', 'uploads', ['ApiCustomS31']),
      JobsCustomS31: s3('Jobs', 'uploads', ['WorkerCustomS31']),
    });

  it('a framework resource left in place follows the resource it waited for to its replacement', () => {
    const { template: t } = applyTrafficShift(settings(), input());
    expect(t.Resources.ApiCustomS31).toBeUndefined();
    expect(dependsOn(t, 'WorkerCustomS31')).toEqual(['WorkerLambdaFunction', S3_HANDLER, 'ApiCustomS31TrafficShift']);
    expect(danglingDependsOn(t)).toEqual([]);
  });

  it('keeps one strict order among the plugin and the framework writers: the framework order', () => {
    const { template: t } = applyTrafficShift(settings(), input());
    expect(dependsOn(t, 'ApiCustomS31TrafficShift')).toBeUndefined();
    expect(dependsOn(t, 'JobsCustomS31TrafficShift')).toEqual(['WorkerCustomS31']);
    expect(chainOrder(t, ['ApiCustomS31TrafficShift', 'WorkerCustomS31', 'JobsCustomS31TrafficShift'])).toEqual([
      'ApiCustomS31TrafficShift',
      'WorkerCustomS31',
      'JobsCustomS31TrafficShift',
    ]);
    // The framework's handler still serves Worker's resource, so it stays, and Worker's resource still waits for it.
    expect(t.Resources[S3_HANDLER]).toEqual(handlerFunction);
  });

  it('chains writers the framework left unordered, in template order', () => {
    const { template: t } = applyTrafficShift(
      settings(),
      template({ ApiCustomS31: s3('Api'), JobsCustomS31: s3('Jobs'), WorkerCustomS31: s3('Worker') }),
    );
    expect(dependsOn(t, 'ApiCustomS31TrafficShift')).toBeUndefined();
    expect(dependsOn(t, 'JobsCustomS31TrafficShift')).toEqual(['ApiCustomS31TrafficShift']);
    expect(dependsOn(t, 'WorkerCustomS31')).toEqual(['WorkerLambdaFunction', S3_HANDLER, 'JobsCustomS31TrafficShift']);
  });

  it('orders by the dependencies the template already has before template order, so no cycle appears', () => {
    // Api's resource comes first in the template but waits (through a user resource) for Worker's.
    const { template: t } = applyTrafficShift(
      settings(),
      template({
        ApiCustomS31: s3('Api', 'uploads', ['Gate']),
        Gate: { Type: 'AWS::SSM::Parameter', Properties: { Value: { 'Fn::GetAtt': ['WorkerCustomS31', 'Id'] } } },
        WorkerCustomS31: s3('Worker'),
      }),
    );
    expect(dependsOn(t, 'ApiCustomS31TrafficShift')).toEqual(['Gate', 'WorkerCustomS31']);
    expect(dependsOn(t, 'WorkerCustomS31')).toEqual(['WorkerLambdaFunction', S3_HANDLER]);
  });

  it("a user resource's DependsOn on a replaced resource follows it", () => {
    const { template: t } = applyTrafficShift(
      settings(),
      template({
        ApiCustomS31: s3('Api'),
        Notice: { Type: 'AWS::SSM::Parameter', DependsOn: 'ApiCustomS31', Properties: { Value: 'ready' } },
      }),
    );
    expect(dependsOn(t, 'Notice')).toEqual(['ApiCustomS31TrafficShift']);
    expect(danglingDependsOn(t)).toEqual([]);
  });

  it('does not chain writers of different buckets, and keys a bucket given by an intrinsic by its value', () => {
    const param = { Ref: 'BucketParam' };
    const { template: t } = applyTrafficShift(
      settings(),
      template({
        ApiCustomS31: s3('Api', 'uploads'),
        JobsCustomS31: s3('Jobs', param),
        WorkerCustomS31: s3('Worker', param),
      }),
    );
    expect(dependsOn(t, 'ApiCustomS31TrafficShift')).toBeUndefined();
    expect(dependsOn(t, 'JobsCustomS31TrafficShift')).toBeUndefined();
    expect(dependsOn(t, 'WorkerCustomS31')).toEqual(['WorkerLambdaFunction', S3_HANDLER, 'JobsCustomS31TrafficShift']);
  });

  it('leaves a template with one writer per bucket as it was, apart from the replacement', () => {
    const { template: t } = applyTrafficShift(settings(), template({ ApiCustomS31: s3('Api') }));
    expect(dependsOn(t, 'ApiCustomS31TrafficShift')).toBeUndefined();
    expect(t.Resources[S3_HANDLER]).toBeUndefined();
  });

  it('does not modify the input template', () => {
    const given = input();
    const copy = JSON.parse(JSON.stringify(given));
    applyTrafficShift(settings(), given);
    expect(given).toEqual(copy);
  });
});

describe('writers of one existing user pool', () => {
  it('the same: follow the replaced resource, one strict order among all writers', () => {
    const { template: t } = applyTrafficShift(
      settings(),
      template({
        ApiCustomCognitoUserPool1: pool('Api'),
        WorkerCustomCognitoUserPool1: pool('Worker', 'Users', ['ApiCustomCognitoUserPool1']),
        JobsCustomCognitoUserPool1: pool('Jobs', 'Users', ['WorkerCustomCognitoUserPool1']),
        OtherPoolWriter: pool('Worker', 'Admins'),
      }),
    );
    expect(danglingDependsOn(t)).toEqual([]);
    expect(
      chainOrder(t, [
        'ApiCustomCognitoUserPool1TrafficShift',
        'WorkerCustomCognitoUserPool1',
        'JobsCustomCognitoUserPool1TrafficShift',
      ]),
    ).toEqual([
      'ApiCustomCognitoUserPool1TrafficShift',
      'WorkerCustomCognitoUserPool1',
      'JobsCustomCognitoUserPool1TrafficShift',
    ]);
    expect(dependsOn(t, 'OtherPoolWriter')).toEqual(['WorkerLambdaFunction', POOL_HANDLER]);
  });

  it('buckets and pools are ordered apart', () => {
    const { template: t } = applyTrafficShift(
      settings(),
      template({ ApiCustomS31: s3('Api'), JobsCustomCognitoUserPool1: pool('Jobs') }),
    );
    expect(dependsOn(t, 'ApiCustomS31TrafficShift')).toBeUndefined();
    expect(dependsOn(t, 'JobsCustomCognitoUserPool1TrafficShift')).toBeUndefined();
  });
});
