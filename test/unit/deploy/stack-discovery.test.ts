/** Stack resources → what each managed function is deployed as; which functions a deploy will shift, and why not. */
import { resolveSettings } from '../../../src/config/resolve';
import {
  discoverTargets,
  hookLabels,
  selectTargets,
  serviceFunctions,
  type StackResource,
} from '../../../src/deploy/stack-discovery';
import { expectShifts } from '../../../src/deploy/shift-prediction';
import { service } from '../../support/service';
import type { CfnTemplate } from '../../../src/types/cloudformation';

const settings = resolveSettings(
  service(
    {
      api: { type: 'Canary10Percent5Minutes' },
      worker: { type: 'Linear10PercentEvery1Minute', alias: 'current' },
      nightly: { type: 'Canary10Percent5Minutes', stages: ['prod'] },
      plain: undefined,
    },
    { stage: 'dev' },
  ),
);
const functions = serviceFunctions(settings, (name) => `svc-dev-${name}`);

const deployed: StackResource[] = [
  { logicalId: 'ServerlessDeploymentBucket', type: 'AWS::S3::Bucket', physicalId: 'bucket' },
  { logicalId: 'ApiLambdaFunction', type: 'AWS::Lambda::Function', physicalId: 'svc-dev-api' },
  {
    logicalId: 'ApiLambdaVersionOld',
    type: 'AWS::Lambda::Version',
    physicalId: 'arn:aws:lambda:us-east-1:1:function:svc-dev-api:6',
  },
  {
    logicalId: 'ApiTrafficShiftAlias',
    type: 'AWS::Lambda::Alias',
    physicalId: 'arn:aws:lambda:us-east-1:123456789012:function:svc-dev-api:live',
  },
  {
    logicalId: 'ApiTrafficShiftDeploymentGroup',
    type: 'AWS::CodeDeploy::DeploymentGroup',
    physicalId: 'svc-dev-ApiTrafficShiftDeploymentGroup-1AB',
  },
  { logicalId: 'WorkerLambdaFunction', type: 'AWS::Lambda::Function', physicalId: 'renamed-worker' },
  {
    logicalId: 'WorkerLambdaVersionSame',
    type: 'AWS::Lambda::Version',
    physicalId: 'arn:aws:lambda:us-east-1:1:function:renamed-worker:3',
  },
  {
    logicalId: 'WorkerTrafficShiftAlias',
    type: 'AWS::Lambda::Alias',
    physicalId: 'arn:aws:lambda:us-east-1:123456789012:function:renamed-worker:current',
  },
  {
    logicalId: 'WorkerTrafficShiftDeploymentGroup',
    type: 'AWS::CodeDeploy::DeploymentGroup',
    physicalId: 'svc-dev-WorkerTrafficShiftDeploymentGroup-2CD',
  },
  { logicalId: 'NightlyLambdaFunction', type: 'AWS::Lambda::Function', physicalId: 'svc-dev-nightly' },
  {
    logicalId: 'NightlyTrafficShiftAlias',
    type: 'AWS::Lambda::Alias',
    physicalId: 'arn:aws:lambda:us-east-1:123456789012:function:svc-dev-nightly:live',
  },
  {
    logicalId: 'TrafficShiftApplication',
    type: 'AWS::CodeDeploy::Application',
    physicalId: 'svc-dev-TrafficShiftApplication-XYZ',
  },
];

describe('serviceFunctions', () => {
  it('lists the functions the plugin manages, with strategy, alias and in-place reason; others are left out', () => {
    expect(functions).toEqual([
      {
        name: 'api',
        normalizedName: 'Api',
        logicalId: 'ApiLambdaFunction',
        deployedName: 'svc-dev-api',
        alias: 'live',
        strategy: 'Canary10Percent5Minutes',
        inPlace: false,
        hooks: {},
      },
      {
        name: 'worker',
        normalizedName: 'Worker',
        logicalId: 'WorkerLambdaFunction',
        deployedName: 'svc-dev-worker',
        alias: 'current',
        strategy: 'Linear10PercentEvery1Minute',
        inPlace: false,
        hooks: {},
      },
      {
        name: 'nightly',
        normalizedName: 'Nightly',
        logicalId: 'NightlyLambdaFunction',
        deployedName: 'svc-dev-nightly',
        alias: 'live',
        strategy: 'InPlace',
        inPlace: true,
        inPlaceReason: 'stage "dev" is not in stages [prod]',
        hooks: {},
      },
    ]);
  });
});

describe('discoverTargets', () => {
  it('takes physical names from the stack: function, alias, application and deployment group', () => {
    const targets = discoverTargets(functions, deployed);
    expect(
      targets.map((t) => [t.name, t.functionName, t.alias, t.aliasInStack, t.applicationName, t.deploymentGroupName]),
    ).toEqual([
      [
        'api',
        'svc-dev-api',
        'live',
        true,
        'svc-dev-TrafficShiftApplication-XYZ',
        'svc-dev-ApiTrafficShiftDeploymentGroup-1AB',
      ],
      [
        'worker',
        'renamed-worker',
        'current',
        true,
        'svc-dev-TrafficShiftApplication-XYZ',
        'svc-dev-WorkerTrafficShiftDeploymentGroup-2CD',
      ],
      ['nightly', 'svc-dev-nightly', 'live', true, undefined, undefined],
    ]);
  });

  it('falls back to the configuration when the stack does not have the resources yet', () => {
    const [api] = discoverTargets(functions, []);
    expect(api).toMatchObject({ functionName: 'svc-dev-api', alias: 'live', aliasInStack: false });
    expect(api?.deploymentGroupName).toBeUndefined();
  });
});

describe('selectTargets', () => {
  const targets = discoverTargets(functions, deployed);
  it('selects all, or the one named', () => {
    expect(selectTargets(targets, undefined)).toHaveLength(3);
    expect(selectTargets(targets, 'worker').map((t) => t.name)).toEqual(['worker']);
  });
  it('names the managed functions when --function matches none', () => {
    expect(() => selectTargets(targets, 'plain')).toThrow(
      'Function "plain" is not managed by serverless-traffic-shift in this stage; managed: api, worker, nightly.',
    );
  });
});

function template(versions: Record<string, string>): CfnTemplate {
  const resources: CfnTemplate['Resources'] = {};
  for (const [fn, version] of Object.entries(versions)) {
    resources[`${fn}TrafficShiftAlias`] = {
      Type: 'AWS::Lambda::Alias',
      Properties: {
        FunctionName: { Ref: `${fn}LambdaFunction` },
        FunctionVersion: { 'Fn::GetAtt': [version, 'Version'] },
        Name: 'live',
      },
      UpdatePolicy: {
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: { Ref: 'TrafficShiftApplication' },
          DeploymentGroupName: { Ref: `${fn}TrafficShiftDeploymentGroup` },
          BeforeAllowTrafficHook: { Ref: 'TrafficShiftSmokeTestHook' },
          AfterAllowTrafficHook: { Ref: 'CheckLambdaFunction' },
        },
      },
    };
  }
  return { Resources: resources };
}

describe('expectShifts', () => {
  const compiled = template({
    Api: 'ApiLambdaVersionNew',
    Worker: 'WorkerLambdaVersionSame',
    Nightly: 'NightlyLambdaVersionNew',
  });

  it('a new version of a deployed alias shifts; unchanged code and in-place stages do not, and say why', () => {
    expect(expectShifts(compiled, functions, deployed)).toEqual([
      { name: 'api', shifts: true },
      {
        name: 'worker',
        shifts: false,
        reason:
          'its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift',
      },
      {
        name: 'nightly',
        shifts: false,
        reason:
          'it moves in place in this stage (stage "dev" is not in stages [prod]): the alias goes to the new version at once, without CodeDeploy',
      },
    ]);
  });

  it('reads the version through a nested stack output of serverless-plugin-split-stacks', () => {
    const nested = template({ Api: 'ApiLambdaVersionNew', Worker: 'WorkerLambdaVersionSame' });
    for (const [fn, version] of [
      ['Api', 'ApiLambdaVersionNew'],
      ['Worker', 'WorkerLambdaVersionSame'],
    ]) {
      (nested.Resources[`${fn}TrafficShiftAlias`]?.Properties as Record<string, unknown>).FunctionVersion = {
        'Fn::GetAtt': ['VersionsNestedStack', `Outputs.${version}Version`],
      };
    }
    const shifted = functions.filter((f) => !f.inPlace);
    expect(expectShifts(nested, shifted, deployed).map((e) => e.shifts)).toEqual([true, false]);
    // An output named otherwise: expect a shift rather than claim nothing changed.
    (nested.Resources.WorkerTrafficShiftAlias?.Properties as Record<string, unknown>).FunctionVersion = {
      'Fn::GetAtt': ['VersionsNestedStack', 'Outputs.Something'],
    };
    expect(expectShifts(nested, shifted, deployed).map((e) => e.shifts)).toEqual([true, true]);
  });

  it('first deploy of the stack, and first deploy of an alias in an existing stack', () => {
    const shifted = functions.filter((f) => !f.inPlace);
    expect(expectShifts(compiled, shifted, undefined).map((e) => (e.shifts ? 'shifts' : e.reason))).toEqual([
      'first deploy of the stack: CloudFormation creates the alias on the new version directly; gradual shifting starts with the next deploy that changes its code or configuration',
      'first deploy of the stack: CloudFormation creates the alias on the new version directly; gradual shifting starts with the next deploy that changes its code or configuration',
    ]);
    const withoutWorkerAlias = deployed.filter((r) => r.logicalId !== 'WorkerTrafficShiftAlias');
    expect(expectShifts(compiled, shifted, withoutWorkerAlias)[1]).toEqual({
      name: 'worker',
      shifts: false,
      reason:
        'first deploy of its alias "current": CloudFormation creates the alias on the new version directly; gradual shifting starts with the next deploy that changes its code or configuration',
    });
  });
});

describe('hookLabels', () => {
  it("names the plugin's generated hooks and the service's own hook functions, from the settings alone", () => {
    const resolved = resolveSettings(
      service(
        {
          api: { preTrafficHook: 'check', bakeTime: 5 },
          worker: { smokeTest: [{ name: 'ping', payload: {} }], postTrafficHook: 'check' },
          plain: {},
          check: undefined,
        },
        { defaults: { type: 'Canary10Percent5Minutes' } },
      ),
    );
    const labels = Object.fromEntries(serviceFunctions(resolved, (name) => name).map((f) => [f.name, f.hooks]));
    expect(labels).toEqual({
      api: { before: 'function check', after: 'bake watching the alarms (TrafficShiftBakeHook)' },
      worker: { before: 'smoke tests (TrafficShiftSmokeTestHook)', after: 'function check' },
      plain: {},
    });
    // The targets the commands act on carry them.
    expect(
      discoverTargets(
        serviceFunctions(resolved, (name) => name),
        [],
      )[0]?.hooks,
    ).toEqual(labels.api);
  });

  it('a hook outside the service is named by its function name', () => {
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:shared-checks';
    const resolved = resolveSettings(service({ api: { type: 'Canary10Percent5Minutes', preTrafficHook: arn } }));
    const [api] = serviceFunctions(resolved, (name) => name);
    expect(hookLabels(resolved.functions[0] as Parameters<typeof hookLabels>[0])).toEqual({
      before: 'function shared-checks',
    });
    expect(api?.hooks).toEqual({ before: 'function shared-checks' });
  });
});
