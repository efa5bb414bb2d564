/**
 * Integration helpers: package a fixture service with the real Serverless Framework, either in-process
 * (`@serverless/test/run-serverless`, which returns the compiled template) or as a child process that writes
 * `.serverless/cloudformation-template-update-stack.json`; package the same service without the plugin as a baseline;
 * lint templates with cfn-lint and keep only the findings the plugin introduced. Fixtures live in
 * `test/fixtures/<scenario>/` and load the plugin from the repository (`plugins: [../../..]`, i.e. package.json
 * `main`, dist/index.js), so `npm run build` must have run.
 *
 * A fixture is packaged by one test file only: packaging writes into the fixture's `.serverless/`, and test files
 * may run in parallel.
 */
import { execFile, spawnSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CfnResource, CfnTemplate } from '../../src/types/cloudformation';

export type { CfnResource, CfnTemplate };

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures');
const SERVERLESS_DIR = path.join(REPO_ROOT, 'node_modules', 'serverless');
const SERVERLESS_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'serverless');
const PLUGIN_ENTRY = path.join(REPO_ROOT, 'dist', 'index.js');
export const TEMPLATE_FILE = path.join('.serverless', 'cloudformation-template-update-stack.json');

/** The framework's AWS naming, as far as the tests use it. */
export interface AwsNaming {
  getLambdaLogicalId(functionName: string): string;
  getNormalizedFunctionName(functionName: string): string;
}

export interface Packaged {
  template: CfnTemplate;
  awsNaming: AwsNaming;
  serverless: unknown;
}

interface RunServerlessResult {
  cfTemplate?: CfnTemplate;
  awsNaming: AwsNaming;
  serverless: unknown;
}

type RunServerless = (
  serverlessDir: string,
  options: { cwd: string; command: string; options?: Record<string, string> },
) => Promise<RunServerlessResult>;

type ReadConfiguration = (configurationPath: string) => Promise<Record<string, unknown>>;

// Neither module ships type declarations.
const runServerless: RunServerless = require('@serverless/test/run-serverless');
// The framework's own reader: YAML with CloudFormation tags, exactly as `serverless package` reads it.
const readConfiguration: ReadConfiguration = require(path.join(SERVERLESS_DIR, 'lib', 'configuration', 'read'));

export function fixtureDir(fixture: string): string {
  return path.join(FIXTURES_DIR, fixture);
}

function assertPluginBuilt(): void {
  if (!existsSync(PLUGIN_ENTRY)) {
    throw new Error(
      `The fixtures load the plugin from ${path.relative(REPO_ROOT, PLUGIN_ENTRY)}, which does not exist: run "npm run build" first.`,
    );
  }
}

async function removePackagingOutput(dir: string): Promise<void> {
  await fs.rm(path.join(dir, '.serverless'), { recursive: true, force: true });
}

/** `serverless package --stage <stage>` in the fixture's directory, in-process. Rejects with the framework's error. */
export async function packageFixture(fixture: string, { stage = 'dev' }: { stage?: string } = {}): Promise<Packaged> {
  assertPluginBuilt();
  const cwd = fixtureDir(fixture);
  await removePackagingOutput(cwd);
  return packageIn(cwd, stage);
}

async function packageIn(cwd: string, stage: string): Promise<Packaged> {
  const result = await runServerless(SERVERLESS_DIR, { cwd, command: 'package', options: { stage } });
  if (!result.cfTemplate) throw new Error(`serverless package in ${cwd} compiled no template`);
  return { template: result.cfTemplate, awsNaming: result.awsNaming, serverless: result.serverless };
}

/**
 * The same service packaged without the plugin: a temporary copy of the fixture whose configuration has no plugin
 * entry for this repository and no `deploymentSettings` (the framework would reject them once no plugin declares
 * them). The configuration is written as JSON, which is valid YAML.
 */
export async function packageBaseline(fixture: string, { stage = 'dev' }: { stage?: string } = {}): Promise<Packaged> {
  const dir = await writeBaselineService(fixture);
  try {
    return await packageIn(dir, stage);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * A temporary copy of the fixture without the plugin (see packageBaseline), whose node_modules links to the
 * repository's, so the other plugins it lists resolve. The caller removes it.
 */
export async function writeBaselineService(fixture: string): Promise<string> {
  const source = fixtureDir(fixture);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `traffic-shift-baseline-${fixture.replace(/\//g, '-')}-`));
  for (const entry of await fs.readdir(source)) {
    if (entry !== 'serverless.yml' && entry !== '.serverless')
      await fs.cp(path.join(source, entry), path.join(dir, entry), { recursive: true });
  }
  const configuration = withoutPlugin(await readConfiguration(path.join(source, 'serverless.yml')), source);
  await fs.writeFile(path.join(dir, 'serverless.yml'), JSON.stringify(configuration, null, 2));
  await fs.symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function withoutPlugin(configuration: Record<string, unknown>, serviceDir: string): Record<string, unknown> {
  const { plugins, custom, functions, ...rest } = configuration;
  const isThisPlugin = (entry: unknown): boolean =>
    typeof entry === 'string' && path.resolve(serviceDir, entry) === REPO_ROOT;
  const otherPlugins = Array.isArray(plugins) ? plugins.filter((entry) => !isThisPlugin(entry)) : [];
  if (!Array.isArray(plugins) || otherPlugins.length === plugins.length) {
    throw new Error(
      `${serviceDir}/serverless.yml does not list the plugin as "../../..", so no baseline can be made by removing it`,
    );
  }
  const { deploymentSettings: _service, ...otherCustom } = (custom ?? {}) as Record<string, unknown>;
  const strippedFunctions = Object.fromEntries(
    Object.entries((functions ?? {}) as Record<string, Record<string, unknown>>).map(([name, fn]) => {
      const { deploymentSettings: _fn, ...otherKeys } = fn;
      return [name, otherKeys];
    }),
  );
  return {
    ...rest,
    ...(otherPlugins.length > 0 && { plugins: otherPlugins }),
    ...(Object.keys(otherCustom).length > 0 && { custom: otherCustom }),
    functions: strippedFunctions,
  };
}

export interface PackagingFailure {
  error: Error & { code?: string };
  /** Whether `.serverless/cloudformation-template-update-stack.json` exists after the failed run. */
  templateWritten: boolean;
}

/** Packages a fixture that must fail; rejects if packaging succeeds. */
export async function packageFixtureExpectingFailure(
  fixture: string,
  { stage = 'dev' }: { stage?: string } = {},
): Promise<PackagingFailure> {
  let packaged: Packaged | undefined;
  try {
    packaged = await packageFixture(fixture, { stage });
  } catch (error) {
    return {
      error: error as PackagingFailure['error'],
      templateWritten: existsSync(path.join(fixtureDir(fixture), TEMPLATE_FILE)),
    };
  }
  throw new Error(
    `Packaging ${fixture} succeeded (${Object.keys(packaged.template.Resources).length} resources) but was expected to fail`,
  );
}

export interface SpawnedPackaging {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The absolute path of the template the framework wrote, or undefined when it wrote none. */
  templateFile?: string;
  /** That file, parsed. */
  template?: CfnTemplate;
}

/** Runs `node_modules/.bin/serverless package --stage <stage>` in the fixture's directory and reads what it wrote. */
export async function spawnPackage(
  fixture: string,
  options: { stage?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<SpawnedPackaging> {
  return spawnPackageIn(fixtureDir(fixture), options);
}

/** The same in any service directory; `env` is added to this process's environment. */
export async function spawnPackageIn(
  cwd: string,
  { stage = 'dev', env: extra = {} }: { stage?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<SpawnedPackaging> {
  assertPluginBuilt();
  await removePackagingOutput(cwd);
  const env = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    FORCE_COLOR: '0',
    ...extra,
  };
  const { exitCode, stdout, stderr } = await run(SERVERLESS_BIN, ['package', '--stage', stage], { cwd, env });
  const templateFile = path.join(cwd, TEMPLATE_FILE);
  if (!existsSync(templateFile)) return { exitCode, stdout, stderr };
  return {
    exitCode,
    stdout,
    stderr,
    templateFile,
    template: JSON.parse(await fs.readFile(templateFile, 'utf8')) as CfnTemplate,
  };
}

function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ exitCode: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// cfn-lint

export interface LintFinding {
  Filename: string;
  Level: string;
  Message: string;
  Rule: { Id: string };
  Location: { Path: (string | number)[] | null };
}

const cfnLintAvailable = spawnSync('cfn-lint', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * `describe`, or, where cfn-lint is not on PATH, `describe.skip` with the reason in the title and a warning: the
 * lint tests never pass silently without running.
 */
export function describeWithCfnLint(name: string, fn: () => void): void {
  if (cfnLintAvailable) {
    describe(name, fn);
    return;
  }
  console.warn(`cfn-lint is not on PATH: skipping "${name}". Install it (pip install cfn-lint) to run the lint tests.`);
  describe.skip(`${name} [SKIPPED: cfn-lint not on PATH]`, fn);
}

/** Runs cfn-lint once over several templates (objects or files on disk) and returns the findings of each. */
export async function lint(
  templates: Record<string, CfnTemplate | { file: string }>,
): Promise<Record<string, LintFinding[]>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'traffic-shift-lint-'));
  try {
    const files = new Map<string, string>();
    for (const [label, template] of Object.entries(templates)) {
      if ('file' in template && typeof template.file === 'string') {
        files.set(path.resolve(template.file), label);
        continue;
      }
      const file = path.join(dir, `${label.replace(/[^\w.-]/g, '_')}.json`);
      await fs.writeFile(file, JSON.stringify(template, null, 2));
      files.set(file, label);
    }
    const { exitCode, stdout, stderr } = await run('cfn-lint', ['--format', 'json', '--', ...files.keys()]);
    let findings: LintFinding[];
    try {
      findings = JSON.parse(stdout) as LintFinding[];
    } catch {
      throw new Error(`cfn-lint exited with ${exitCode} without JSON output:\n${stderr || stdout}`);
    }
    const byLabel: Record<string, LintFinding[]> = Object.fromEntries([...files.values()].map((label) => [label, []]));
    for (const finding of findings) {
      const label = files.get(path.resolve(finding.Filename));
      if (label === undefined) throw new Error(`cfn-lint reported a file it was not given: ${finding.Filename}`);
      byLabel[label]?.push(finding);
    }
    return byLabel;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The resource (or `Outputs/<id>`, …) a finding is about. */
function findingSubject(finding: LintFinding): string {
  const where = finding.Location.Path ?? [];
  return where[0] === 'Resources' && where[1] !== undefined ? String(where[1]) : where.slice(0, 2).join('/');
}

/**
 * Findings on the plugin's template with no finding of the same rule on the same resource in the baseline, as
 * readable lines (`W3005 ApiGatewayMethodGet: message`).
 */
export function introducedFindings(withPlugin: LintFinding[], baseline: LintFinding[]): string[] {
  const known = new Set(baseline.map((f) => `${f.Rule.Id} ${findingSubject(f)}`));
  return withPlugin
    .filter((f) => !known.has(`${f.Rule.Id} ${findingSubject(f)}`))
    .map((f) => `${f.Rule.Id} ${findingSubject(f)}: ${f.Message}`);
}

/** For each label, lints the template packaged with the plugin and its baseline in one cfn-lint run. */
export async function lintAgainstBaselines(
  pairs: Record<string, { withPlugin: CfnTemplate | { file: string }; baseline: CfnTemplate }>,
): Promise<Record<string, string[]>> {
  const templates: Record<string, CfnTemplate | { file: string }> = {};
  for (const [label, pair] of Object.entries(pairs)) {
    templates[`${label}.plugin`] = pair.withPlugin;
    templates[`${label}.baseline`] = pair.baseline;
  }
  const findings = await lint(templates);
  return Object.fromEntries(
    Object.keys(pairs).map((label) => [
      label,
      introducedFindings(findings[`${label}.plugin`] ?? [], findings[`${label}.baseline`] ?? []),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Reading templates

export function resource(template: CfnTemplate, logicalId: string): CfnResource {
  const found = template.Resources[logicalId];
  if (!found)
    throw new Error(`The template has no resource ${logicalId}; it has ${Object.keys(template.Resources).join(', ')}`);
  return found;
}

export function properties(template: CfnTemplate, logicalId: string): Record<string, unknown> {
  return resource(template, logicalId).Properties ?? {};
}

/** Logical ids of the resources of a type, sorted. */
export function idsOfType(template: CfnTemplate, type: string): string[] {
  return Object.keys(template.Resources)
    .filter((id) => template.Resources[id]?.Type === type)
    .sort();
}

/** The AWS::Lambda::Version resources of a function (by its logical id). */
export function versionIds(template: CfnTemplate, functionLogicalId: string): string[] {
  return idsOfType(template, 'AWS::Lambda::Version').filter((id) => {
    const fn = properties(template, id).FunctionName;
    return JSON.stringify(fn) === JSON.stringify({ Ref: functionLogicalId });
  });
}

export function onlyVersionId(template: CfnTemplate, functionLogicalId: string): string {
  const ids = versionIds(template, functionLogicalId);
  if (ids.length !== 1)
    throw new Error(`Expected one version of ${functionLogicalId}, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0] as string;
}

/** The resources the plugin adds (their ids carry its `TrafficShift` infix), in template order. */
export function trafficShiftResources(template: CfnTemplate): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([id]) => id.includes('TrafficShift'));
}

/** Every path below `node` (e.g. `ApiLambdaPermissionApiGateway.Properties.FunctionName`) where `match` holds. */
export function pathsWhere(node: unknown, match: (value: unknown) => boolean, at = ''): string[] {
  if (match(node)) return [at];
  if (Array.isArray(node)) return node.flatMap((item, i) => pathsWhere(item, match, `${at}[${i}]`));
  if (node !== null && typeof node === 'object') {
    return Object.entries(node).flatMap(([key, value]) => pathsWhere(value, match, at === '' ? key : `${at}.${key}`));
  }
  return [];
}

export const sameJson =
  (expected: unknown) =>
  (value: unknown): boolean =>
    JSON.stringify(value) === JSON.stringify(expected);

/**
 * The value with the artifact directory's timestamp (`1764315600000-2025-11-28T07:40:00.000Z`, part of every S3Key)
 * replaced, so two packagings of the same code compare equal.
 */
export function withoutPackagingTimestamp<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value).replace(/\d{13}-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<timestamp>'),
  ) as T;
}

/** Logical ids of the IAM roles a service principal (e.g. `codedeploy.amazonaws.com`) may assume, sorted. */
export function rolesAssumedBy(template: CfnTemplate, servicePrincipal: string): string[] {
  return idsOfType(template, 'AWS::IAM::Role').filter((id) => {
    const statements =
      (
        properties(template, id).AssumeRolePolicyDocument as
          { Statement?: { Principal?: { Service?: unknown } }[] } | undefined
      )?.Statement ?? [];
    return statements.some((s) => [s.Principal?.Service].flat().includes(servicePrincipal));
  });
}

/** The `Fn::GetAtt` of a function's unqualified ARN, the value no event of a shifted function may use. */
export const unqualifiedArn = (functionLogicalId: string): { 'Fn::GetAtt': [string, string] } => ({
  'Fn::GetAtt': [functionLogicalId, 'Arn'],
});

/** The managed policy of the CodeDeploy role, partition-aware. */
export const CODEDEPLOY_MANAGED_POLICY = {
  'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited',
};
