/**
 * serverless-plugin-split-stacks after this plugin, with the real framework (spawned `serverless package`).
 * split-stacks reads the deployed stack while packaging (ListStackResources), so each run talks to a moto_server
 * started by this file (AWS_ENDPOINT_URL), where the stack does not exist yet; without moto_server the file is skipped
 * and says so.
 *
 * - per-type (split-stacks' default) with every feature that adds a shared resource to the root stack: packages, every
 *   event source still reaches the alias once the nested stacks are put back together, aliases and deployment groups
 *   stay in the root stack, and cfn-lint finds nothing the same split without the plugin does not, beyond
 *   split-stacks' own redundant DependsOn (W3005);
 * - per-function without hooks: each function moves with its alias and deployment group, and the same holds;
 * - split-stacks listed first, or per function with hooks: the build stops, naming the cause, and writes no template.
 */
import { existsSync, promises as fs } from 'fs';
import * as path from 'path';
import { resolveSettings, type ShiftedFunction } from '../../src/config/resolve';
import { findBypasses } from '../../src/transform/bypass-check';
import { isObject } from '../../src/transform/intrinsics';
import { service } from '../support/service';
import {
  describeWithCfnLint,
  fixtureDir,
  idsOfType,
  introducedFindings,
  lint,
  spawnPackage,
  spawnPackageIn,
  writeBaselineService,
  type CfnTemplate,
  type SpawnedPackaging,
} from './helpers';
import { describeWithMoto, MOTO_CREDENTIALS, startMoto, type MotoServer } from './moto-server';

jest.setTimeout(180000);

/** The root template and each nested stack's template (by its logical id in the root), as written to `.serverless/`. */
interface Split {
  root: CfnTemplate;
  nested: Record<string, CfnTemplate>;
  files: Record<string, string>;
}

async function readSplit(dir: string): Promise<Split> {
  const out = path.join(dir, '.serverless');
  const rootFile = path.join(out, 'cloudformation-template-update-stack.json');
  const root = JSON.parse(await fs.readFile(rootFile, 'utf8')) as CfnTemplate;
  const nested: Record<string, CfnTemplate> = {};
  const files: Record<string, string> = { root: rootFile };
  for (const id of idsOfType(root, 'AWS::CloudFormation::Stack')) {
    const url = (root.Resources[id]?.Properties?.TemplateURL as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const file = path.join(out, String(url[url.length - 1]));
    nested[id] = JSON.parse(await fs.readFile(file, 'utf8')) as CfnTemplate;
    files[id] = file;
  }
  return { root, nested, files };
}

/**
 * The stack as one template again: nested resources back in the root, each parameter replaced by what the root
 * passes, each `Fn::GetAtt [<stack>, Outputs.<name>]` by the output's value.
 */
function flatten({ root, nested }: Split): CfnTemplate {
  const substitute = (node: unknown, parameters: Record<string, unknown>): unknown => {
    if (Array.isArray(node)) return node.map((item) => substitute(item, parameters));
    if (!isObject(node)) return node;
    if (typeof node.Ref === 'string' && Object.keys(node).length === 1 && node.Ref in parameters)
      return substitute(parameters[node.Ref], {});
    const getAtt = node['Fn::GetAtt'];
    if (
      Array.isArray(getAtt) &&
      typeof getAtt[0] === 'string' &&
      nested[getAtt[0]] &&
      String(getAtt[1]).startsWith('Outputs.')
    ) {
      const stack = getAtt[0];
      const output = (nested[stack]?.Outputs as Record<string, { Value: unknown }>)[
        String(getAtt[1]).slice('Outputs.'.length)
      ];
      return substitute(output?.Value, stackParameters(stack));
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, substitute(value, parameters)]));
  };
  const stackParameters = (stack: string): Record<string, unknown> =>
    (root.Resources[stack]?.Properties?.Parameters ?? {}) as Record<string, unknown>;
  const resources: CfnTemplate['Resources'] = {};
  for (const [id, resource] of Object.entries(root.Resources)) {
    if (!nested[id]) resources[id] = substitute(resource, {}) as CfnTemplate['Resources'][string];
  }
  for (const [stack, template] of Object.entries(nested)) {
    for (const [id, resource] of Object.entries(template.Resources)) {
      resources[id] = substitute(resource, stackParameters(stack)) as CfnTemplate['Resources'][string];
    }
  }
  return { Resources: resources };
}

/** cfn-lint on a split with the plugin and the same split without it; what only the first has, W3005 aside. */
async function introducedBeyondRedundantDependsOn(
  withPlugin: Split,
  baseline: Split,
): Promise<{ introduced: string[]; redundantDependsOn: number }> {
  const labelled: Record<string, { file: string }> = {};
  for (const [id, file] of Object.entries(withPlugin.files)) labelled[`plugin/${id}`] = { file };
  for (const [id, file] of Object.entries(baseline.files)) labelled[`baseline/${id}`] = { file };
  const findings = await lint(labelled);
  const all = Object.keys(withPlugin.files).flatMap((id) =>
    introducedFindings(findings[`plugin/${id}`] ?? [], findings[`baseline/${id}`] ?? []).map(
      (line) => `${id}: ${line}`,
    ),
  );
  // split-stacks adds a DependsOn on a nested stack to every resource that refers to one, as it does without the plugin.
  const redundant = all.filter((line) => / W3005 .*dependency already enforced/.test(line));
  return { introduced: all.filter((line) => !redundant.includes(line)), redundantDependsOn: redundant.length };
}

const shiftedOf = (functions: Record<string, unknown>, defaults: unknown): ShiftedFunction[] =>
  resolveSettings(service(functions, { defaults })).functions.filter((f): f is ShiftedFunction => f.kind === 'shifted');

const describeSplit = describeWithMoto('split-stacks.test.ts');

describeSplit('serverless-plugin-split-stacks after serverless-traffic-shift', () => {
  let moto: MotoServer;
  let env: NodeJS.ProcessEnv;
  const baselineDirs: string[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    env = {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      AWS_PROFILE: '',
    };
  });

  afterAll(async () => {
    await moto?.stop();
    await Promise.all(baselineDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });

  /** The fixture and its baseline, packaged side by side. */
  async function packagePair(fixture: string): Promise<{ withPlugin: Split; baseline: Split }> {
    const baselineDir = await writeBaselineService(fixture);
    baselineDirs.push(baselineDir);
    const [withPlugin, baseline] = await Promise.all([
      spawnPackage(fixture, { env }),
      spawnPackageIn(baselineDir, { env }),
    ]);
    for (const [label, run] of [
      [fixture, withPlugin],
      [`${fixture} without the plugin`, baseline],
    ] as [string, SpawnedPackaging][]) {
      if (run.exitCode !== 0)
        throw new Error(`serverless package (${label}) exited with ${run.exitCode}:\n${run.stdout}\n${run.stderr}`);
    }
    return { withPlugin: await readSplit(fixtureDir(fixture)), baseline: await readSplit(baselineDir) };
  }

  describe('per type, the default (fixture split-stacks/per-type)', () => {
    let split: { withPlugin: Split; baseline: Split };
    beforeAll(async () => {
      split = await packagePair('split-stacks/per-type');
    });
    const shifted = shiftedOf(
      {
        api: { smokeTest: { payload: { path: '/hello' }, expect: { statusCode: 200 } }, postTrafficHook: 'checker' },
        worker: { type: 'BlueGreen', bakeTime: 5 },
        checker: undefined,
      },
      { type: 'Canary10Percent5Minutes' },
    );

    it('split-stacks moved versions, alarms and permissions into nested stacks', () => {
      expect(Object.keys(split.withPlugin.nested).sort()).toEqual([
        'APINestedStack',
        'AlarmsNestedStack',
        'PermissionsNestedStack',
        'PoliciesNestedStack',
        'VersionsNestedStack',
      ]);
      expect(
        idsOfType(split.withPlugin.nested.VersionsNestedStack as CfnTemplate, 'AWS::Lambda::Version').map((id) =>
          id.replace(/LambdaVersion.*/, ''),
        ),
      ).toEqual(['Api', 'Worker']);
      expect(idsOfType(split.withPlugin.root, 'AWS::Lambda::Version')).toEqual([]);
      expect(idsOfType(split.withPlugin.nested.AlarmsNestedStack as CfnTemplate, 'AWS::CloudWatch::Alarm')).toEqual([
        'ApiTrafficShiftErrorRateVsPreviousAlarm',
        'ApiTrafficShiftErrorsAlarm',
        'WorkerTrafficShiftErrorRateVsPreviousAlarm',
        'WorkerTrafficShiftErrorsAlarm',
      ]);
    });

    it("the dashboard stays in the root stack and names each version through the Versions stack's outputs", () => {
      const parts = (
        split.withPlugin.root.Resources.TrafficShiftDashboard?.Properties?.DashboardBody as {
          'Fn::Join': [string, unknown[]];
        }
      )['Fn::Join'][1];
      const references = new Set(parts.filter((p) => typeof p !== 'string').map((p) => JSON.stringify(p)));
      const versions = split.withPlugin.nested.VersionsNestedStack as CfnTemplate;
      const outputs = Object.keys(versions.Outputs ?? {});
      expect([...references].sort()).toEqual(
        [
          { Ref: 'AWS::Region' },
          { Ref: 'ApiLambdaFunction' },
          { Ref: 'WorkerLambdaFunction' },
          ...outputs
            .filter((o) => /^(Api|Worker)LambdaVersion.*Version$/.test(o))
            .map((o) => ({ 'Fn::GetAtt': ['VersionsNestedStack', `Outputs.${o}`] })),
        ]
          .map((r) => JSON.stringify(r))
          .sort(),
      );
      expect(references.size).toBe(5);
    });

    it('put back together, every event source of api and worker reaches its alias', () => {
      const flat = flatten(split.withPlugin);
      expect(findBypasses(flat, shifted)).toEqual([]);
      const permissions = Object.values(flat.Resources).filter((r) => r.Type === 'AWS::Lambda::Permission');
      expect(
        permissions
          .map((p) => p.Properties?.FunctionName)
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      ).toEqual([
        { Ref: 'ApiTrafficShiftAlias' },
        { Ref: 'WorkerTrafficShiftAlias' },
        { Ref: 'WorkerTrafficShiftAlias' },
      ]);
    });

    it('aliases (with their UpdatePolicy) and deployment groups stay in the root stack, on the versions and alarms of the nested stacks', () => {
      const { root } = split.withPlugin;
      const alias = root.Resources.ApiTrafficShiftAlias;
      expect(alias?.UpdatePolicy).toMatchObject({
        CodeDeployLambdaAliasUpdate: {
          DeploymentGroupName: { Ref: 'ApiTrafficShiftDeploymentGroup' },
          AfterAllowTrafficHook: { Ref: 'CheckerLambdaFunction' },
        },
      });
      expect(alias?.Properties?.FunctionVersion).toEqual({
        'Fn::GetAtt': ['VersionsNestedStack', expect.stringMatching(/^Outputs\.ApiLambdaVersion\w+Version$/)],
      });
      expect(root.Resources.WorkerTrafficShiftDeploymentGroup?.Properties?.AlarmConfiguration).toEqual({
        Enabled: true,
        IgnorePollAlarmFailure: false,
        Alarms: [
          { Name: { 'Fn::GetAtt': ['AlarmsNestedStack', 'Outputs.WorkerTrafficShiftErrorsAlarm'] } },
          { Name: { 'Fn::GetAtt': ['AlarmsNestedStack', 'Outputs.WorkerTrafficShiftErrorRateVsPreviousAlarm'] } },
        ],
      });
      expect(idsOfType(root, 'AWS::Lambda::Alias').sort()).toEqual(['ApiTrafficShiftAlias', 'WorkerTrafficShiftAlias']);
    });

    it('the hook function checker publishes no version, so it and the versions stack do not refer to each other', () => {
      const checker = split.withPlugin.root.Resources.CheckerLambdaFunction;
      expect(checker?.Properties?.Environment).toEqual({
        Variables: {
          TRAFFIC_SHIFT_NEW_VERSION_ARN: {
            'Fn::GetAtt': ['VersionsNestedStack', expect.stringMatching(/^Outputs\.ApiLambdaVersion\w+$/)],
          },
        },
      });
      expect(JSON.stringify(split.withPlugin.nested.VersionsNestedStack)).not.toContain('Checker');
      // Without the plugin the framework versions checker like any function.
      expect(JSON.stringify(split.baseline.nested.VersionsNestedStack)).toContain('CheckerLambdaVersion');
    });

    describeWithCfnLint('cfn-lint', () => {
      it("finds nothing in the root or nested templates that the same split without the plugin does not, beyond split-stacks' redundant DependsOn", async () => {
        const { introduced, redundantDependsOn } = await introducedBeyondRedundantDependsOn(
          split.withPlugin,
          split.baseline,
        );
        expect(introduced).toEqual([]);
        expect(redundantDependsOn).toBeGreaterThan(0);
      });
    });
  });

  describe('per function, without hooks (fixture split-stacks/per-function-plain)', () => {
    let split: { withPlugin: Split; baseline: Split };
    beforeAll(async () => {
      split = await packagePair('split-stacks/per-function-plain');
    });

    it('each function moves with its version, alias, deployment group and alarm into its own nested stack; shared resources stay', () => {
      const { root, nested } = split.withPlugin;
      expect(Object.keys(nested).sort()).toEqual(['ApiNestedStack', 'WorkerNestedStack']);
      for (const fn of ['Api', 'Worker']) {
        const stack = nested[`${fn}NestedStack`] as CfnTemplate;
        expect(idsOfType(stack, 'AWS::Lambda::Alias')).toEqual([`${fn}TrafficShiftAlias`]);
        expect(idsOfType(stack, 'AWS::CodeDeploy::DeploymentGroup')).toEqual([`${fn}TrafficShiftDeploymentGroup`]);
        expect(idsOfType(stack, 'AWS::CloudWatch::Alarm')).toEqual([`${fn}TrafficShiftErrorsAlarm`]);
        expect(stack.Resources[`${fn}TrafficShiftAlias`]?.UpdatePolicy).toBeDefined();
      }
      expect(idsOfType(root, 'AWS::CodeDeploy::Application')).toEqual(['TrafficShiftApplication']);
      expect(idsOfType(root, 'AWS::Lambda::Alias')).toEqual([]);
    });

    it('put back together, every event source reaches its alias', () => {
      const shifted = shiftedOf(
        { api: undefined, worker: { type: 'Linear10PercentEvery1Minute' } },
        { type: 'Canary10Percent5Minutes' },
      );
      expect(shifted).toHaveLength(2);
      expect(findBypasses(flatten(split.withPlugin), shifted)).toEqual([]);
    });

    describeWithCfnLint('cfn-lint', () => {
      it("finds nothing the same split without the plugin does not, beyond split-stacks' redundant DependsOn", async () => {
        const { introduced } = await introducedBeyondRedundantDependsOn(split.withPlugin, split.baseline);
        expect(introduced).toEqual([]);
      });
    });
  });

  describe('what would not deploy stops the build and writes no template', () => {
    it('split-stacks listed before the plugin (fixture split-stacks/listed-first)', async () => {
      const run = await spawnPackage('split-stacks/listed-first', { env });
      expect(run.exitCode).not.toBe(0);
      expect(`${run.stdout}${run.stderr}`).toContain(
        'serverless-plugin-split-stacks is listed before serverless-traffic-shift in plugins.',
      );
      expect(run.templateFile).toBeUndefined();
    });

    it('per function with a smoke test and a hook function (fixture split-stacks/per-function)', async () => {
      const run = await spawnPackage('split-stacks/per-function', { env });
      expect(run.exitCode).not.toBe(0);
      const output = `${run.stdout}${run.stderr}`.replace(/\s+/g, ' ');
      expect(output).toContain(
        'custom.splitStacks.perFunction puts each function, with its alias and deployment group, in a nested stack of its own. ' +
          'Here worker is checked by function checker, which gets a nested stack of its own; TrafficShiftSmokeTestHook (smokeTest) serves several functions from the root stack.',
      );
      expect(run.templateFile).toBeUndefined();
      expect(
        existsSync(
          path.join(
            fixtureDir('split-stacks/per-function'),
            '.serverless',
            'cloudformation-template-update-stack.json',
          ),
        ),
      ).toBe(false);
    });
  });
});
