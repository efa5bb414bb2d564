/**
 * Migrating a deployed service from serverless-plugin-canary-deployments 0.8.0 (a devDependency) to this plugin.
 *
 * The stack as deployed: the fixture `migration` packaged by the `serverless` executable with the old plugin in place
 * of this one. The migration deploy: `serverless deploy` of the fixture as it is, run in-process by the real
 * framework, every AWS request of the framework answered by a stand-in of that stack (the template it uploads is
 * captured), the plugin's own requests answered by aws-sdk-client-mock from the same stack. CloudFormation itself is
 * not run: the test checks the uploaded template against what CloudFormation does with it (a resource whose logical
 * id is new is created before the one that left is deleted, and a Lambda alias name is unique per function), and lints
 * it with cfn-lint.
 *
 * Also: a service deployed without any such plugin whose provisioned-concurrency alias is named `provisioned`
 * (fixture `migration-provisioned`), an alias of the same name in `resources:` (a case of settings.test.ts),
 * and both plugins listed at once.
 */
import {
  CloudFormationClient,
  ListStackResourcesCommand,
  type ListStackResourcesCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { StackResource } from '../../src/deploy/stack-discovery';
import {
  describeWithCfnLint,
  fixtureDir,
  idsOfType,
  lintAgainstBaselines,
  packageBaseline,
  pathsWhere,
  properties,
  REPO_ROOT,
  sameJson,
  spawnPackageIn,
  TEMPLATE_FILE,
  type CfnTemplate,
} from './helpers';

const SERVERLESS_DIR = path.join(REPO_ROOT, 'node_modules', 'serverless');
const ACCOUNT = '123456789012';
const LAMBDA_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function`;

type RunServerless = (dir: string, options: Record<string, unknown>) => Promise<{ cfTemplate?: CfnTemplate }>;
const runServerless: RunServerless = require('@serverless/test/run-serverless');
/** The emitter of the `log` package, through which the framework's `utils.log` passes every line (no type declarations). */
const logEmitter: {
  on(event: 'log', listener: (event: { logger: { level: string }; messageTokens: unknown[] }) => void): void;
  off(event: 'log', listener: (event: { logger: { level: string }; messageTokens: unknown[] }) => void): void;
} = require(require.resolve('log/lib/emitter', { paths: [SERVERLESS_DIR] }));

/** A copy of a fixture whose `plugins:` entry for this repository names `plugins` instead; the caller removes it. */
async function serviceWithPlugins(fixture: string, plugins: string[]): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `traffic-shift-${fixture}-`));
  await fs.cp(fixtureDir(fixture), dir, {
    recursive: true,
    filter: (source) => path.basename(source) !== '.serverless',
  });
  const configuration = await fs.readFile(path.join(dir, 'serverless.yml'), 'utf8');
  if (!configuration.includes('\n  - ../../..\n')) throw new Error(`${fixture}/serverless.yml does not list ../../..`);
  await fs.writeFile(
    path.join(dir, 'serverless.yml'),
    configuration.replace('\n  - ../../..\n', `\n${plugins.map((p) => `  - ${p}\n`).join('')}`),
  );
  await fs.symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** What ListStackResources lists once a template is deployed: physical ids as CloudFormation gives them. */
function stackOf(template: CfnTemplate): StackResource[] {
  const functionName = (ref: unknown): string =>
    properties(template, (ref as { Ref: string }).Ref).FunctionName as string;
  return Object.entries(template.Resources).map(([logicalId, resource]) => {
    const p = resource.Properties ?? {};
    const physicalId =
      resource.Type === 'AWS::Lambda::Function'
        ? (p.FunctionName as string)
        : resource.Type === 'AWS::Lambda::Alias'
          ? `${LAMBDA_ARN}:${functionName(p.FunctionName)}:${String(p.Name)}`
          : resource.Type === 'AWS::Lambda::Version'
            ? `${LAMBDA_ARN}:${functionName(p.FunctionName)}:1`
            : `${logicalId}-PHYSICAL`;
    return { logicalId, type: resource.Type, physicalId };
  });
}

/**
 * The aliases CloudFormation would fail to create: one under a logical id the stack does not have, while the stack
 * holds an alias of the same function and name under another id (deleted only after the update).
 */
function aliasCreationConflicts(deployed: readonly StackResource[], template: CfnTemplate): string[] {
  const stack = stackOf(template);
  const deployedIds = new Set(deployed.map((r) => r.logicalId));
  return stack
    .filter((r) => r.type === 'AWS::Lambda::Alias' && !deployedIds.has(r.logicalId))
    .flatMap((created) => {
      const holder = deployed.find((d) => d.type === 'AWS::Lambda::Alias' && d.physicalId === created.physicalId);
      return holder ? [`${created.logicalId}: Alias already exists: ${created.physicalId} (${holder.logicalId})`] : [];
    });
}

/** Every Ref, Fn::GetAtt and DependsOn of the template names a resource of it (or a pseudo parameter). */
function danglingReferences(template: CfnTemplate): string[] {
  const ids = new Set(Object.keys(template.Resources));
  const named = (id: string) => ids.has(id) || id.startsWith('AWS::');
  const found = pathsWhere(template, (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const node = value as Record<string, unknown>;
    if (typeof node.Ref === 'string') return !named(node.Ref);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return !named(String(getAtt[0]));
    return false;
  });
  const dependsOn = Object.entries(template.Resources).flatMap(([id, resource]) =>
    [resource.DependsOn ?? []].flat().flatMap((target) => (named(target) ? [] : [`${id}.DependsOn ${target}`])),
  );
  return [...found, ...dependsOn];
}

interface Deployed {
  /** The template the framework uploaded for the stack update. */
  uploaded: CfnTemplate;
  /** The template `serverless package` wrote, before the deploy took the aliases over. */
  packaged: CfnTemplate;
  /** What the deploy printed at notice and warning level (the framework's and the plugin's), in order. */
  lines: string[];
  /** The stack updates the framework asked for. */
  changeSets: number;
}

const cloudFormation = mockClient(CloudFormationClient);
const lambda = mockClient(LambdaClient);

/**
 * `serverless deploy --stage dev` in `dir`, in-process, over a stack holding `deployed`. The framework's requests go
 * to a stand-in of that stack (any request it does not answer fails the deploy); the plugin's to the client mocks.
 */
async function deployOver(dir: string, stackName: string, deployed: StackResource[]): Promise<Deployed> {
  cloudFormation.reset();
  lambda.reset();
  const summaries: ListStackResourcesCommandOutput = {
    $metadata: {},
    StackResourceSummaries: deployed.map((r) => ({
      LogicalResourceId: r.logicalId,
      ResourceType: r.type,
      PhysicalResourceId: r.physicalId,
      ResourceStatus: 'UPDATE_COMPLETE',
      LastUpdatedTimestamp: new Date(0),
    })),
  };
  cloudFormation.on(ListStackResourcesCommand).resolves(summaries);
  lambda.on(GetAliasCommand).callsFake((input) => ({ Name: input.Name, FunctionVersion: '1', RevisionId: 'r' }));

  const uploads = new Map<string, string>();
  let changeSets = 0;
  const stackId = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/${stackName}/1`;
  const stackEvent = (id: string, status: string) => ({
    EventId: id,
    StackId: stackId,
    StackName: stackName,
    LogicalResourceId: stackName,
    ResourceType: 'AWS::CloudFormation::Stack',
    ResourceStatus: status,
    Timestamp: new Date(),
  });
  const standIn = {
    STS: { getCallerIdentity: { Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/deployer`, UserId: 'U' } },
    CloudFormation: {
      describeStacks: {
        Stacks: [
          {
            StackName: stackName,
            StackId: stackId,
            StackStatus: 'UPDATE_COMPLETE',
            Outputs: [{ OutputKey: 'ServerlessDeploymentBucketName', OutputValue: 'deployment-bucket' }],
          },
        ],
      },
      describeStackResource: { StackResourceDetail: { PhysicalResourceId: 'deployment-bucket' } },
      validateTemplate: {},
      deleteChangeSet: {},
      createChangeSet: () => {
        changeSets += 1;
        return { Id: 'change-set', StackId: stackId };
      },
      describeChangeSet: {
        Status: 'CREATE_COMPLETE',
        ExecutionStatus: 'AVAILABLE',
        StackId: stackId,
        Changes: [{ Type: 'Resource' }],
      },
      executeChangeSet: {},
      // After the update, for the framework's service information.
      listStackResources: summaries,
      describeStackEvents: {
        StackEvents: [stackEvent('2', 'UPDATE_COMPLETE'), stackEvent('1', 'UPDATE_IN_PROGRESS')],
      },
    },
    S3: {
      headBucket: {},
      listObjectsV2: { Contents: [] },
      upload: (params: { Key: string; Body: unknown }) => {
        if (typeof params.Body === 'string') uploads.set(path.basename(params.Key), params.Body);
        else (params.Body as { destroy?: () => void }).destroy?.();
        return {};
      },
    },
    Lambda: { getFunction: { Configuration: { LastModified: '2020-01-01T00:00:00.000Z' } } },
  };

  // What the plugin logs reaches the framework's log emitter (the `log` package it uses), at its level.
  const lines: string[] = [];
  const listener = (event: { logger: { level: string }; messageTokens: unknown[] }) => {
    if (event.logger.level === 'notice' || event.logger.level === 'warning') lines.push(event.messageTokens.join(' '));
  };
  logEmitter.on('log', listener);
  try {
    await runServerless(SERVERLESS_DIR, {
      cwd: dir,
      command: 'deploy',
      options: { stage: 'dev' },
      env: { SLS_AWS_MONITORING_FREQUENCY: '10', SLS_TELEMETRY_DISABLED: '1' },
      awsRequestStubMap: standIn,
    });
  } finally {
    logEmitter.off('log', listener);
  }
  const uploaded = uploads.get('compiled-cloudformation-template.json');
  if (!uploaded)
    throw new Error(`serverless deploy uploaded no template; it uploaded ${[...uploads.keys()].join(', ')}`);
  const packaged = JSON.parse(await fs.readFile(path.join(dir, TEMPLATE_FILE), 'utf8')) as CfnTemplate;
  return {
    uploaded: JSON.parse(uploaded) as CfnTemplate,
    packaged,
    lines: lines.map((line) => line.replace(/\(\d+s\)$/, '(<seconds>)')),
    changeSets,
  };
}

const OLD = {
  application: 'TsmigrationdevDeploymentApplication',
  role: 'CodeDeployServiceRole',
  groups: ['ApiLambdaFunctionDeploymentGroup', 'WorkerLambdaFunctionDeploymentGroup'],
  aliases: { api: 'ApiLambdaFunctionAliaslive', worker: 'WorkerLambdaFunctionAliaslive' },
};

const dirs: string[] = [];
afterAll(async () => {
  cloudFormation.restore();
  lambda.restore();
  await Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

describe('from serverless-plugin-canary-deployments 0.8.0 (fixture migration)', () => {
  let old: CfnTemplate;
  let deployed: StackResource[];
  let migration: Deployed;

  beforeAll(async () => {
    const oldService = await serviceWithPlugins('migration', ['serverless-plugin-canary-deployments']);
    const service = await serviceWithPlugins('migration', [REPO_ROOT]);
    dirs.push(oldService, service);
    const packaged = await spawnPackageIn(oldService);
    if (!packaged.template) throw new Error(`packaging with the old plugin failed:\n${packaged.stderr}`);
    old = packaged.template;
    deployed = stackOf(old);
    migration = await deployOver(service, 'ts-migration-dev', deployed);
  });

  it('the stack as the old plugin deployed it: aliases <Fn>Alias<alias> named "live", its application, named groups, a role with AWSLambda_FullAccess', () => {
    expect(idsOfType(old, 'AWS::Lambda::Alias')).toEqual(Object.values(OLD.aliases).sort());
    expect(properties(old, OLD.aliases.api)).toMatchObject({
      FunctionName: { Ref: 'ApiLambdaFunction' },
      Name: 'live',
    });
    expect(idsOfType(old, 'AWS::CodeDeploy::DeploymentGroup')).toEqual(OLD.groups);
    expect(properties(old, OLD.groups[0] as string).DeploymentGroupName).toBe(
      'ts-migration-dev-ApiLambdaFunctionDeploymentGroup',
    );
    expect(idsOfType(old, 'AWS::CodeDeploy::Application')).toEqual([OLD.application]);
    expect(properties(old, OLD.role).ManagedPolicyArns).toContain('arn:aws:iam::aws:policy/AWSLambda_FullAccess');
  });

  it('as packaged, the alias has a new logical id: deployed over that stack, CloudFormation would fail to create it', () => {
    expect(idsOfType(migration.packaged, 'AWS::Lambda::Alias')).toEqual([
      'ApiTrafficShiftAlias',
      'WorkerTrafficShiftAlias',
    ]);
    expect(aliasCreationConflicts(deployed, migration.packaged)).toEqual([
      `ApiTrafficShiftAlias: Alias already exists: ${LAMBDA_ARN}:ts-migration-dev-api:live (${OLD.aliases.api})`,
      `WorkerTrafficShiftAlias: Alias already exists: ${LAMBDA_ARN}:ts-migration-dev-worker:live (${OLD.aliases.worker})`,
    ]);
  });

  it('the deploy uploads each alias under its deployed logical id: same name, function and version, steered by the new group', () => {
    const { uploaded } = migration;
    expect(migration.changeSets).toBe(1);
    expect(idsOfType(uploaded, 'AWS::Lambda::Alias')).toEqual(Object.values(OLD.aliases).sort());
    expect(aliasCreationConflicts(deployed, uploaded)).toEqual([]);
    for (const [name, id] of Object.entries(OLD.aliases)) {
      const fn = `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
      // Name and FunctionName are what a replacement would change: both stay, so the alias is updated in place.
      expect(properties(uploaded, id)).toEqual({ ...properties(old, id) });
      expect(uploaded.Resources[id]?.UpdatePolicy?.CodeDeployLambdaAliasUpdate).toMatchObject({
        ApplicationName: { Ref: 'TrafficShiftApplication' },
        DeploymentGroupName: { Ref: `${fn}TrafficShiftDeploymentGroup` },
      });
    }
    expect(uploaded.Resources[OLD.aliases.api]?.UpdatePolicy?.CodeDeployLambdaAliasUpdate).toMatchObject({
      BeforeAllowTrafficHook: { Ref: 'PreHookLambdaFunction' },
    });
    // The uploaded template is the packaged one with the two ids changed, and nothing else.
    const renamed = JSON.stringify(migration.packaged)
      .replace(/"ApiTrafficShiftAlias"/g, `"${OLD.aliases.api}"`)
      .replace(/"WorkerTrafficShiftAlias"/g, `"${OLD.aliases.worker}"`);
    expect(JSON.parse(renamed)).toEqual(uploaded);
    expect(danglingReferences(uploaded)).toEqual([]);
  });

  it('every event source keeps invoking the alias it invoked: the same Ref of the same logical id', () => {
    for (const id of Object.values(OLD.aliases)) {
      const invokers = (template: CfnTemplate) =>
        Object.keys(template.Resources).filter(
          (r) => pathsWhere(template.Resources[r], sameJson({ Ref: id })).length > 0,
        );
      const before = invokers(old).filter((r) => !r.startsWith('ApiGatewayDeployment'));
      expect(before.length).toBeGreaterThan(0);
      expect(invokers(migration.uploaded)).toEqual(expect.arrayContaining(before));
    }
    expect(pathsWhere(migration.uploaded, (v) => typeof v === 'string' && v.includes('TrafficShiftAlias'))).toEqual([]);
  });

  it("removes the old plugin's application, deployment groups and role; keeps functions, versions and event sources", () => {
    const uploadedIds = new Set(Object.keys(migration.uploaded.Resources));
    const gone = Object.keys(old.Resources).filter((id) => !uploadedIds.has(id));
    expect(gone.filter((id) => !/^ApiGatewayDeployment\d+$/.test(id))).toEqual([
      // Hook functions publish no version any more; CloudFormation keeps the published one (DeletionPolicy: Retain).
      expect.stringMatching(/^PreHookLambdaVersion/),
      OLD.application,
      OLD.role,
      ...OLD.groups,
    ]);
    expect(old.Resources[gone[0] as string]?.DeletionPolicy).toBe('Retain');
    const oldIds = new Set(Object.keys(old.Resources));
    expect(
      Object.keys(migration.uploaded.Resources).filter(
        (id) => !oldIds.has(id) && !/^ApiGatewayDeployment\d+$/.test(id),
      ),
    ).toEqual([
      'ApiTrafficShiftErrorsAlarm',
      'WorkerTrafficShiftErrorsAlarm',
      'ApiTrafficShiftDeploymentGroup',
      'WorkerTrafficShiftDeploymentGroup',
      'TrafficShiftApplication',
      'TrafficShiftCodeDeployRole',
      'TrafficShiftCodeDeployPolicy',
      'PreHookTrafficShiftHookRole',
      'PreHookTrafficShiftHookPolicy',
    ]);
    // The shared execution role loses the hook permission the old plugin gave every function; the hook has its own role.
    const codeDeployActions = (t: CfnTemplate) =>
      pathsWhere(properties(t, 'IamRoleLambdaExecution'), (v) => typeof v === 'string' && v.startsWith('codedeploy:'));
    expect(codeDeployActions(old)).toHaveLength(1);
    expect(codeDeployActions(migration.uploaded)).toEqual([]);
    expect(properties(migration.uploaded, 'PreHookLambdaFunction').Role).toEqual({
      'Fn::GetAtt': ['PreHookTrafficShiftHookRole', 'Arn'],
    });
  });

  it('with unchanged code, the shifted functions keep their versions: the deploy moves no traffic', () => {
    for (const fn of ['Api', 'Worker']) {
      const alias = (t: CfnTemplate) =>
        properties(t, OLD.aliases[fn.toLowerCase() as 'api' | 'worker']).FunctionVersion;
      expect(alias(migration.uploaded)).toEqual(alias(old));
    }
  });

  it('prints, before the update, what it keeps, what it removes, and that nothing shifts', () => {
    const unchanged =
      'its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.';
    expect(migration.lines).toEqual([
      '',
      'Deploying ts-migration to stage dev (us-east-1)',
      'serverless-traffic-shift:',
      '  api: Canary10Percent5Minutes through alias "live" (0m → 10%, 5m → 100%)',
      '  worker: Linear10PercentEvery1Minute through alias "live" (0m → 10%, 1m → 20%, 2m → 30%, 3m → 40%, 4m → 50%, 5m → 60%, 6m → 70%, 7m → 80%, 8m → 90%, 9m → 100%)',
      '  preHook: not managed (pre-traffic hook of api; hooks are never shifted)',
      '[traffic] api: alias "live" keeps its deployed logical id ApiLambdaFunctionAliaslive (instead of ApiTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
      '[traffic] worker: alias "live" keeps its deployed logical id WorkerLambdaFunctionAliaslive (instead of WorkerTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
      '[traffic] this deploy removes from the stack: TsmigrationdevDeploymentApplication (AWS::CodeDeploy::Application), ' +
        'ApiLambdaFunctionDeploymentGroup (AWS::CodeDeploy::DeploymentGroup), WorkerLambdaFunctionDeploymentGroup ' +
        '(AWS::CodeDeploy::DeploymentGroup), CodeDeployServiceRole (AWS::IAM::Role).',
      `[traffic] api: nothing shifts: ${unchanged}`,
      `[traffic] worker: nothing shifts: ${unchanged}`,
      '',
      'Service deployed to stack ts-migration-dev (<seconds>)',
    ]);
    // docs/migrating.md shows these lines as they are.
    const migrating = readFileSync(path.join(REPO_ROOT, 'docs', 'migrating.md'), 'utf8');
    const shown = /```\n(\[traffic\][^`]*)```/.exec(migrating)?.[1];
    expect(shown).toBe(`${migration.lines.filter((line) => line.startsWith('[traffic]')).join('\n')}\n`);
  });

  describeWithCfnLint('cfn-lint (the uploaded template)', () => {
    it('finds nothing that it does not find in the same service without the plugin', async () => {
      const { template: baseline } = await packageBaseline('migration');
      expect(await lintAgainstBaselines({ migration: { withPlugin: migration.uploaded, baseline } })).toEqual({
        migration: [],
      });
    });
  });
});

describe("from the framework's provisioned-concurrency alias (fixture migration-provisioned)", () => {
  it('the alias named "provisioned" keeps its logical id ApiProvConcLambdaAlias and carries the concurrency', async () => {
    const { template: withoutPlugin } = await packageBaseline('migration-provisioned');
    expect(properties(withoutPlugin, 'ApiProvConcLambdaAlias')).toMatchObject({ Name: 'provisioned' });
    const deployed = stackOf(withoutPlugin);
    const service = await serviceWithPlugins('migration-provisioned', [REPO_ROOT]);
    dirs.push(service);
    const { uploaded, packaged, lines } = await deployOver(service, 'ts-migration-provisioned-dev', deployed);
    expect(aliasCreationConflicts(deployed, packaged)).toHaveLength(1);
    expect(idsOfType(uploaded, 'AWS::Lambda::Alias')).toEqual(['ApiProvConcLambdaAlias']);
    expect(aliasCreationConflicts(deployed, uploaded)).toEqual([]);
    expect(properties(uploaded, 'ApiProvConcLambdaAlias')).toMatchObject({
      FunctionName: { Ref: 'ApiLambdaFunction' },
      Name: 'provisioned',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    expect(properties(uploaded, 'HttpApiIntegrationApi').IntegrationUri).toEqual({ Ref: 'ApiProvConcLambdaAlias' });
    expect(danglingReferences(uploaded)).toEqual([]);
    expect(lines).toEqual([
      '',
      'Deploying ts-migration-provisioned to stage dev (us-east-1)',
      'serverless-traffic-shift:',
      '  api: Canary10Percent5Minutes through alias "provisioned" (0m → 10%, 5m → 100%)',
      '[traffic] api: alias "provisioned" keeps its deployed logical id ApiProvConcLambdaAlias (instead of ApiTrafficShiftAlias): ' +
        'CloudFormation updates it in place, with the same name and ARN.',
      '[traffic] api: nothing shifts: its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.',
      '',
      'Service deployed to stack ts-migration-provisioned-dev (<seconds>)',
    ]);
  });
});

describe('an alias of the same name that cannot be taken over', () => {
  it('both plugins in plugins: the build stops before packaging, naming both', async () => {
    const service = await serviceWithPlugins('migration', ['serverless-plugin-canary-deployments', REPO_ROOT]);
    dirs.push(service);
    const { exitCode, stdout, stderr, template } = await spawnPackageIn(service);
    expect(exitCode).not.toBe(0);
    expect(template).toBeUndefined();
    expect(`${stdout}${stderr}`).toContain(
      'serverless-plugin-canary-deployments and serverless-traffic-shift are both in plugins: both read custom.deploymentSettings and functions.<name>.deploymentSettings, ' +
        'and each would add its own aliases and deployment groups to every function. serverless-traffic-shift replaces it: remove it from plugins ' +
        '(see "Migrating from serverless-plugin-canary-deployments", docs/migrating.md). [TRAFFIC_SHIFT_PLUGIN_CONFLICT]',
    );
  });
});
