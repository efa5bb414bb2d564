/**
 * The plugin's alias takes over the logical id under which the deployed stack holds an alias of the same name
 * (serverless-plugin-canary-deployments' `<Fn>Alias<alias>`): the pure parts (which ids, the renaming of every
 * reference, what the update removes, the words), then the deploy hook against scripted AWS answers.
 */
import fc from 'fast-check';
import { ServerlessError } from '../../../src/errors';
import {
  aliasIdInTemplate,
  removedResources,
  renameLogicalIds,
  takeOverDeployedAliases,
  takeoverLines,
} from '../../../src/deploy/alias-takeover';
import { deployHooks } from '../../../src/deploy/deploy-lifecycle';
import { discoverTargets, type StackResource } from '../../../src/deploy/stack-discovery';
import { applyTrafficShift } from '../../../src/transform';
import type { CfnTemplate } from '../../../src/types/cloudformation';
import { compiledTemplate as frameworkTemplate } from '../../support/service';
import { settings, stackSummaries, testContext } from './test-context';
import { GetAliasCommand, ListStackResourcesCommand, callCounts, mocks } from './timeline';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function';
const r = (logicalId: string, type: string, physicalId: string): StackResource => ({ logicalId, type, physicalId });

/** The service of test-context (api canary with a pre-traffic hook, worker linear, nightly in place in dev). */
const packaged = (): CfnTemplate =>
  applyTrafficShift(settings, frameworkTemplate(['api', 'worker', 'nightly', 'check'])).template;

/** The stack serverless-plugin-canary-deployments left: aliases `<Fn>LambdaFunctionAliaslive`, its application, groups and role. */
function oldPluginStack(
  versions: { api: string; worker: string } = { api: 'Abc123', worker: 'Abc123' },
): StackResource[] {
  return [
    ...['api', 'worker', 'nightly', 'check'].map((name) => {
      const fn = `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
      return r(`${fn}LambdaFunction`, 'AWS::Lambda::Function', `svc-dev-${name}`);
    }),
    r(`ApiLambdaVersion${versions.api}`, 'AWS::Lambda::Version', `${ARN}:svc-dev-api:3`),
    r(`WorkerLambdaVersion${versions.worker}`, 'AWS::Lambda::Version', `${ARN}:svc-dev-worker:3`),
    r('SvcdevDeploymentApplication', 'AWS::CodeDeploy::Application', 'svc-dev-SvcdevDeploymentApplication-1X'),
    r('CodeDeployServiceRole', 'AWS::IAM::Role', 'svc-dev-CodeDeployServiceRole-2X'),
    r(
      'ApiLambdaFunctionDeploymentGroup',
      'AWS::CodeDeploy::DeploymentGroup',
      'svc-dev-ApiLambdaFunctionDeploymentGroup',
    ),
    r('ApiLambdaFunctionAliaslive', 'AWS::Lambda::Alias', `${ARN}:svc-dev-api:live`),
    r(
      'WorkerLambdaFunctionDeploymentGroup',
      'AWS::CodeDeploy::DeploymentGroup',
      'svc-dev-WorkerLambdaFunctionDeploymentGroup',
    ),
    r('WorkerLambdaFunctionAliaslive', 'AWS::Lambda::Alias', `${ARN}:svc-dev-worker:live`),
    r('ApiLambdaPermissionApiGateway', 'AWS::Lambda::Permission', 'perm-1'),
  ];
}

const functions = () => testContext().ctx.functions();

describe('takeOverDeployedAliases', () => {
  it("keeps the old plugin's alias ids and renames every reference to the plugin's", () => {
    const template = packaged();
    const { template: taken, kept } = takeOverDeployedAliases(template, functions(), oldPluginStack());
    expect(kept).toEqual([
      {
        name: 'api',
        alias: 'live',
        logicalId: 'ApiLambdaFunctionAliaslive',
        planned: 'ApiTrafficShiftAlias',
        again: false,
      },
      {
        name: 'worker',
        alias: 'live',
        logicalId: 'WorkerLambdaFunctionAliaslive',
        planned: 'WorkerTrafficShiftAlias',
        again: false,
      },
    ]);
    const aliases = Object.entries(taken.Resources).filter(([, res]) => res.Type === 'AWS::Lambda::Alias');
    expect(aliases.map(([id]) => id)).toEqual([
      'ApiLambdaFunctionAliaslive',
      'WorkerLambdaFunctionAliaslive',
      'NightlyTrafficShiftAlias',
    ]);
    // The same resource under another id: properties, update policy and dependencies unchanged.
    expect(taken.Resources.ApiLambdaFunctionAliaslive).toEqual(template.Resources.ApiTrafficShiftAlias);
    expect(taken.Resources.ApiLambdaPermissionApiGateway?.Properties?.FunctionName).toEqual({
      Ref: 'ApiLambdaFunctionAliaslive',
    });
    expect(JSON.stringify(taken)).not.toMatch(/(Api|Worker)TrafficShiftAlias/);
    expect(Object.keys(taken.Resources)).toHaveLength(Object.keys(template.Resources).length);
    // The input is left as it was.
    expect(template.Resources.ApiTrafficShiftAlias).toBeDefined();
  });

  it('changes nothing when the stack holds no alias of that name under another id', () => {
    const template = packaged();
    const ours = [
      r('ApiLambdaFunction', 'AWS::Lambda::Function', 'svc-dev-api'),
      r('ApiTrafficShiftAlias', 'AWS::Lambda::Alias', `${ARN}:svc-dev-api:live`),
      // Another alias name of the function, and an alias of the same name on a function deployed under another name.
      r('ApiStableAlias', 'AWS::Lambda::Alias', `${ARN}:svc-dev-api:stable`),
      r('WorkerLambdaFunction', 'AWS::Lambda::Function', 'svc-dev-worker'),
      r('WorkerLambdaFunctionAliaslive', 'AWS::Lambda::Alias', `${ARN}:svc-dev-worker-old:live`),
      // moto lists what its CloudFormation skipped with empty ids and types.
      { logicalId: '', type: '', physicalId: '' },
    ];
    const result = takeOverDeployedAliases(template, functions(), ours);
    expect(result).toEqual({ template, kept: [] });
    expect(result.template).toBe(template);
    expect(takeOverDeployedAliases(template, functions(), []).template).toBe(template);
  });

  it('marks an alias an earlier deploy took over: the stack has the deployment group of this plugin', () => {
    const stack = [...oldPluginStack(), r('ApiTrafficShiftDeploymentGroup', 'AWS::CodeDeploy::DeploymentGroup', 'g')];
    expect(takeOverDeployedAliases(packaged(), functions(), stack).kept.map((k) => [k.name, k.again])).toEqual([
      ['api', true],
      ['worker', false],
    ]);
  });

  it('refuses when the deployed id names another resource of the template, before anything is deployed', () => {
    const template = packaged();
    template.Resources.ApiLambdaFunctionAliaslive = { Type: 'AWS::SNS::Topic' };
    const run = () => takeOverDeployedAliases(template, functions(), oldPluginStack());
    expect(run).toThrow(ServerlessError);
    expect(run).toThrow(
      expect.objectContaining({
        code: 'TRAFFIC_SHIFT_ALIAS_NAME_TAKEN',
        message:
          'Function "api": the deployed stack holds its alias "live" as ApiLambdaFunctionAliaslive, and the template uses ' +
          "ApiLambdaFunctionAliaslive for a AWS::SNS::Topic, so the plugin's alias cannot take over that id: rename that " +
          'resource, or set deploymentSettings.alias to another name. CloudFormation would create the new alias before ' +
          'deleting the old one, and Lambda allows one alias of a name per function, so the update would fail. Nothing was deployed. [TRAFFIC_SHIFT_ALIAS_NAME_TAKEN]',
      }),
    );
  });

  it("refuses when the plugin's alias is not in the root template", () => {
    const template = packaged();
    delete template.Resources.WorkerTrafficShiftAlias;
    expect(() => takeOverDeployedAliases(template, functions(), oldPluginStack())).toThrow(
      "the plugin's alias WorkerTrafficShiftAlias is not in the root template (moved to a nested stack)",
    );
  });
});

describe('renameLogicalIds', () => {
  const renames = new Map([['Old', 'New']]);

  it('renames the resource in place and every form of reference, and nothing else', () => {
    const template: CfnTemplate = {
      AWSTemplateFormatVersion: '2010-09-09',
      Resources: {
        First: { Type: 'X', Properties: { A: { Ref: 'Old' } }, DependsOn: 'Old' },
        Old: { Type: 'AWS::Lambda::Alias', Properties: { Name: 'Old' } },
        Last: {
          Type: 'X',
          DependsOn: ['First', 'Old'],
          Properties: {
            List: { 'Fn::GetAtt': ['Old', 'AliasArn'] },
            Dotted: { 'Fn::GetAtt': 'Old.AliasArn' },
            Sub: { 'Fn::Sub': '${Old}/${Old.AliasArn}/${!Old}/${Older}/${AWS::Region}' },
            Shadowed: { 'Fn::Sub': ['${Old}-${Other}', { Old: 'x', Other: { Ref: 'Old' } }] },
            Unchanged: { 'Fn::Sub': ['${A}', { A: { Ref: 'First' } }] },
            Join: { 'Fn::Join': [':', [{ Ref: 'Old' }, 'Old', { Ref: 'Older' }]] },
          },
        },
        Untouched: { Type: 'Y', Properties: { A: { Ref: 'First' } } },
      },
      Outputs: { Arn: { Value: { Ref: 'Old' } } },
    };
    const renamed = renameLogicalIds(template, renames);
    expect(Object.keys(renamed.Resources)).toEqual(['First', 'New', 'Last', 'Untouched']);
    expect(renamed).toEqual({
      AWSTemplateFormatVersion: '2010-09-09',
      Resources: {
        First: { Type: 'X', Properties: { A: { Ref: 'New' } }, DependsOn: 'New' },
        New: { Type: 'AWS::Lambda::Alias', Properties: { Name: 'Old' } },
        Last: {
          Type: 'X',
          DependsOn: ['First', 'New'],
          Properties: {
            List: { 'Fn::GetAtt': ['New', 'AliasArn'] },
            Dotted: { 'Fn::GetAtt': 'New.AliasArn' },
            Sub: { 'Fn::Sub': '${New}/${New.AliasArn}/${!Old}/${Older}/${AWS::Region}' },
            Shadowed: { 'Fn::Sub': ['${Old}-${Other}', { Old: 'x', Other: { Ref: 'New' } }] },
            Unchanged: { 'Fn::Sub': ['${A}', { A: { Ref: 'First' } }] },
            Join: { 'Fn::Join': [':', [{ Ref: 'New' }, 'Old', { Ref: 'Older' }]] },
          },
        },
        Untouched: { Type: 'Y', Properties: { A: { Ref: 'First' } } },
      },
      Outputs: { Arn: { Value: { Ref: 'New' } } },
    });
    expect(renamed.Resources.Untouched).toBe(template.Resources.Untouched);
  });

  it('renaming back restores any template that did not use the new id (property)', () => {
    const ids = ['Old', 'Other', 'Third'];
    const id = fc.constantFrom(...ids);
    const reference = fc.oneof(
      id.map((target) => ({ Ref: target })),
      fc.tuple(id, fc.constantFrom('Arn', 'AliasArn')).map(([target, att]) => ({ 'Fn::GetAtt': [target, att] })),
      fc.tuple(id, fc.constantFrom('Arn', 'Name')).map(([target, att]) => ({ 'Fn::GetAtt': `${target}.${att}` })),
      fc
        .array(
          fc.oneof(
            id.map((target) => `\${${target}}`),
            id.map((target) => `\${!${target}}`),
            fc.constantFrom('/', 'x', ':'),
          ),
          {
            maxLength: 5,
          },
        )
        .map((parts) => ({ 'Fn::Sub': parts.join('') })),
    );
    const value = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        reference,
        fc.string({ maxLength: 4 }),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('A', 'B', 'C'), tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    const template = fc
      .dictionary(
        id,
        fc.record({
          Type: fc.constant('X'),
          Properties: fc.dictionary(fc.constantFrom('P', 'Q'), value),
          DependsOn: fc.array(id, { maxLength: 2 }),
        }),
        { minKeys: 1 },
      )
      .map((resources): CfnTemplate => ({ Resources: resources }));
    fc.assert(
      fc.property(template, (t) => {
        const there = renameLogicalIds(t, new Map([['Old', 'Fresh']]));
        expect(JSON.stringify(there)).not.toMatch(/"Old"|\$\{Old[.}]|"Old\./);
        expect(renameLogicalIds(there, new Map([['Fresh', 'Old']]))).toEqual(t);
      }),
      // A fixed seed, as in property.test.ts: every machine runs the same cases.
      { seed: 20261201, numRuns: 300 },
    );
  });
});

describe('what the update removes, and the words', () => {
  it('lists the aliases, CodeDeploy resources and roles the deployed stack has and the template lacks', () => {
    const { template } = takeOverDeployedAliases(packaged(), functions(), oldPluginStack());
    const stack = [
      ...oldPluginStack(),
      r('ApiLambdaFunctionAliasstaging', 'AWS::Lambda::Alias', `${ARN}:svc-dev-api:staging`),
    ];
    const removed = removedResources(stack, template);
    // Aliases first, then the application, its groups and the role, each by logical id, in any order of the stack.
    const expected = [
      'ApiLambdaFunctionAliasstaging',
      'SvcdevDeploymentApplication',
      'ApiLambdaFunctionDeploymentGroup',
      'WorkerLambdaFunctionDeploymentGroup',
      'CodeDeployServiceRole',
    ];
    expect(removed?.map((res) => res.logicalId)).toEqual(expected);
    expect(removedResources([...stack].reverse(), template)?.map((res) => res.logicalId)).toEqual(expected);
    const kept = takeOverDeployedAliases(packaged(), functions(), oldPluginStack()).kept;
    expect(takeoverLines(kept, removed ?? [])).toEqual({
      notices: [
        'api: alias "live" keeps its deployed logical id ApiLambdaFunctionAliaslive (instead of ApiTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
        'worker: alias "live" keeps its deployed logical id WorkerLambdaFunctionAliaslive (instead of WorkerTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
        'this deploy removes from the stack: ApiLambdaFunctionAliasstaging (alias "staging" of svc-dev-api: whatever calls it by that name fails once it is gone), ' +
          'SvcdevDeploymentApplication (AWS::CodeDeploy::Application), ApiLambdaFunctionDeploymentGroup (AWS::CodeDeploy::DeploymentGroup), ' +
          'WorkerLambdaFunctionDeploymentGroup (AWS::CodeDeploy::DeploymentGroup), CodeDeployServiceRole (AWS::IAM::Role).',
      ],
      info: [],
    });
    expect(
      takeoverLines(
        kept.map((k) => ({ ...k, again: true })),
        [],
      ),
    ).toEqual({
      notices: [],
      info: [
        'api: alias "live" keeps its deployed logical id ApiLambdaFunctionAliaslive (instead of ApiTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
        'worker: alias "live" keeps its deployed logical id WorkerLambdaFunctionAliaslive (instead of WorkerTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
      ],
    });
  });

  it('says nothing about removals when nested stacks hold resources the root template does not show', () => {
    const stack = [...oldPluginStack(), r('NestedStack', 'AWS::CloudFormation::Stack', 'arn:nested')];
    expect(removedResources(stack, packaged())).toBeUndefined();
  });
});

describe('finding the alias after the takeover', () => {
  it('in the template and in the stack, by function and name', () => {
    const { template } = takeOverDeployedAliases(packaged(), functions(), oldPluginStack());
    const [api, worker, nightly] = functions();
    expect(aliasIdInTemplate(template, api!)).toBe('ApiLambdaFunctionAliaslive');
    expect(aliasIdInTemplate(template, worker!)).toBe('WorkerLambdaFunctionAliaslive');
    expect(aliasIdInTemplate(template, nightly!)).toBe('NightlyTrafficShiftAlias');
    const targets = discoverTargets(functions(), oldPluginStack());
    expect(targets.map((t) => [t.name, t.functionName, t.alias, t.aliasInStack])).toEqual([
      ['api', 'svc-dev-api', 'live', true],
      ['worker', 'svc-dev-worker', 'live', true],
      ['nightly', 'svc-dev-nightly', 'live', false],
    ]);
  });
});

describe('sls deploy over a stack of serverless-plugin-canary-deployments', () => {
  const m = mocks();
  afterEach(() => m.reset());

  function deployOver(stack: StackResource[]) {
    m.cloudFormation.on(ListStackResourcesCommand).resolves(stackSummaries(stack));
    m.lambda.on(GetAliasCommand).callsFake((input) => ({ Name: input.Name, FunctionVersion: '3', RevisionId: 'rev' }));
    const template = packaged();
    const info: string[] = [];
    const { ctx, out } = testContext({ template: () => template });
    ctx.logger = { ...ctx.logger, info: (line) => info.push(line) };
    const hooks = deployHooks(() => ctx);
    return { template, out, info, hooks };
  }

  it('changes the template the framework uploads, says what it keeps and removes, and what moves traffic', async () => {
    // api has new code (a version the stack does not have), worker does not.
    const { template, out, hooks } = deployOver(oldPluginStack({ api: 'Previous', worker: 'Abc123' }));
    await hooks['before:deploy:deploy']!();
    await hooks['before:aws:deploy:deploy:updateStack']!();
    expect(
      Object.keys(template.Resources).filter((id) => template.Resources[id]?.Type === 'AWS::Lambda::Alias'),
    ).toEqual(['ApiLambdaFunctionAliaslive', 'WorkerLambdaFunctionAliaslive', 'NightlyTrafficShiftAlias']);
    expect(out.warnings).toEqual([]);
    expect(out.notices).toEqual([
      '[traffic] api: alias "live" keeps its deployed logical id ApiLambdaFunctionAliaslive (instead of ApiTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
      '[traffic] worker: alias "live" keeps its deployed logical id WorkerLambdaFunctionAliaslive (instead of WorkerTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
      '[traffic] this deploy removes from the stack: SvcdevDeploymentApplication (AWS::CodeDeploy::Application), ' +
        'ApiLambdaFunctionDeploymentGroup (AWS::CodeDeploy::DeploymentGroup), WorkerLambdaFunctionDeploymentGroup (AWS::CodeDeploy::DeploymentGroup), ' +
        'CodeDeployServiceRole (AWS::IAM::Role).',
      '[traffic] worker: nothing shifts: its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.',
      '[traffic] nightly: nothing shifts: it moves in place in this stage (stage "dev" is not in stages [prod]): the alias goes to the new version at once, without CodeDeploy.',
      '[traffic] api: shifts through a deployment group this deploy creates; its progress shows from the next deploy on.',
    ]);
    // One read of the stack, one GetAlias per alias (the hand-weight check), nothing else.
    expect(callCounts(m)).toEqual({ ListStackResourcesCommand: 1, GetAliasCommand: 3 });
  });

  it('on the deploys after it, keeps the ids again and says so only in verbose output', async () => {
    const stack = [
      ...oldPluginStack(),
      r('TrafficShiftApplication', 'AWS::CodeDeploy::Application', 'app'),
      r('ApiTrafficShiftDeploymentGroup', 'AWS::CodeDeploy::DeploymentGroup', 'g1'),
      r('WorkerTrafficShiftDeploymentGroup', 'AWS::CodeDeploy::DeploymentGroup', 'g2'),
    ].filter(
      (res) =>
        !/^(SvcdevDeploymentApplication|CodeDeployServiceRole|.*LambdaFunctionDeploymentGroup)$/.test(res.logicalId),
    );
    const { template, out, info, hooks } = deployOver(stack);
    await hooks['before:deploy:deploy']!();
    expect(template.Resources.ApiLambdaFunctionAliaslive).toBeDefined();
    expect(out.notices).toEqual([]);
    expect(info).toEqual([
      '[traffic] api: alias "live" keeps its deployed logical id ApiLambdaFunctionAliaslive (instead of ApiTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
      '[traffic] worker: alias "live" keeps its deployed logical id WorkerLambdaFunctionAliaslive (instead of WorkerTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
    ]);
  });

  it('stops the deploy before the upload when the takeover cannot be', async () => {
    const { template, hooks } = deployOver(oldPluginStack());
    template.Resources.WorkerLambdaFunctionAliaslive = { Type: 'AWS::SNS::Topic' };
    await expect(hooks['before:deploy:deploy']!()).rejects.toMatchObject({ code: 'TRAFFIC_SHIFT_ALIAS_NAME_TAKEN' });
    expect(template.Resources.ApiTrafficShiftAlias).toBeDefined();
  });
});
