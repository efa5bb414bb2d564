/**
 * Integration helpers: package a fixture service with the real Serverless Framework, either in-process
 * (`@serverless/test/run-serverless`, which returns the compiled template) or as a child process (any command, e.g.
 * `serverless traffic plan`) that writes `.serverless/cloudformation-template-update-stack.json`; package the same
 * service without the plugin as a baseline; write a variant of a fixture (one service varied per case); run several
 * at a time; lint templates with cfn-lint and keep only the
 * findings the plugin introduced; read templates (every reference to a function with its path, the dependency graph
 * of a resource). Fixtures live in `test/fixtures/<scenario>/` (or one level deeper) and load the plugin from the
 * repository (`plugins: [../../..]`, i.e. package.json `main`, dist/index.js), so `npm run build` must have run.
 *
 * A fixture is packaged by one test file only: packaging writes into the fixture's `.serverless/`, and test files
 * may run in parallel.
 */
import { execFile, spawnSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import { set, unset } from 'lodash';
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
      `${serviceDir}/serverless.yml lists no plugin entry that resolves to the repository root, so no baseline can be made by removing it`,
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
  { stage = 'dev', env = {} }: { stage?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<SpawnedPackaging> {
  assertPluginBuilt();
  await removePackagingOutput(cwd);
  const { exitCode, stdout, stderr } = await runServerlessCli(['package', '--stage', stage], cwd, env);
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

/** The environment of every spawned framework: no telemetry, notifications or colours. */
const SPAWN_ENV = {
  ...process.env,
  SLS_TELEMETRY_DISABLED: '1',
  SLS_TRACKING_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  FORCE_COLOR: '0',
};

/** `serverless <args>` in `cwd`, a child process; `env` is added to SPAWN_ENV. */
export function runServerlessCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  return run(SERVERLESS_BIN, args, { cwd, env: { ...SPAWN_ENV, ...env } });
}

/** A child process's exit code and output; rejects only when it could not run. */
function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
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

async function readWritten(dir: string, result: CommandResult): Promise<Written> {
  const file = path.join(dir, TEMPLATE_FILE);
  if (!existsSync(file)) return result;
  return { ...result, template: JSON.parse(await fs.readFile(file, 'utf8')) as CfnTemplate };
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Written extends CommandResult {
  /** The template the framework wrote to `.serverless/cloudformation-template-update-stack.json`, if it wrote one. */
  template?: CfnTemplate;
}

/** Throws with the framework's output unless the command succeeded and wrote a template. */
export function expectTemplate(label: string, written: Written): CfnTemplate {
  if (written.exitCode !== 0 || !written.template) {
    throw new Error(
      `serverless package (${label}) exited with ${written.exitCode}:\n${written.stdout}\n${written.stderr}`,
    );
  }
  return written.template;
}

/** `serverless <args>` in the fixture's directory (a child process), after removing its `.serverless/`. */
export async function spawnServerless(fixture: string, args: string[]): Promise<Written> {
  assertPluginBuilt();
  const cwd = fixtureDir(fixture);
  await removePackagingOutput(cwd);
  return readWritten(cwd, await runServerlessCli(args, cwd));
}

/** The fixture packaged without the plugin (see writeBaselineService), in a child process. */
export async function spawnBaseline(fixture: string): Promise<CfnTemplate> {
  const dir = await writeBaselineService(fixture);
  try {
    return expectTemplate(
      `${fixture} without the plugin`,
      await readWritten(dir, await runServerlessCli(['package'], dir)),
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Variants of one fixture

/**
 * Changes to a fixture's configuration, by path (`functions.api.deploymentSettings.alias`); `undefined` removes the
 * key. `PLUGIN` in a `plugins` list stands for this repository.
 */
export type Changes = Record<string, unknown>;
export const PLUGIN = Symbol('this plugin');

/**
 * One fixture, many services: a temporary copy of the fixture whose configuration has the changes applied, the plugin
 * listed by its absolute path, and node_modules linked to the repository's. Written as JSON, which is valid YAML. The
 * caller removes it.
 */
export async function writeVariant(fixture: string, changes: Changes): Promise<string> {
  assertPluginBuilt();
  const source = fixtureDir(fixture);
  const configuration = await readConfiguration(path.join(source, 'serverless.yml'));
  for (const [at, value] of Object.entries(changes)) {
    if (value === undefined) unset(configuration, at);
    else set(configuration, at, value);
  }
  configuration.plugins = (configuration.plugins as unknown[]).map((entry) =>
    entry === PLUGIN || (typeof entry === 'string' && path.resolve(source, entry) === REPO_ROOT) ? REPO_ROOT : entry,
  );
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `traffic-shift-${fixture.replace(/[^\w-]/g, '_')}-`));
  for (const entry of await fs.readdir(source)) {
    if (entry !== 'serverless.yml' && entry !== '.serverless')
      await fs.cp(path.join(source, entry), path.join(dir, entry), { recursive: true });
  }
  await fs.writeFile(path.join(dir, 'serverless.yml'), JSON.stringify(configuration, null, 2));
  await fs.symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** `serverless package` of a variant, in-process: the error it rejected with, or its template. */
export async function packageVariant(
  fixture: string,
  changes: Changes,
): Promise<{ error?: PackagingFailure['error']; template?: CfnTemplate; templateWritten: boolean }> {
  const dir = await writeVariant(fixture, changes);
  try {
    const { template } = await packageIn(dir, 'dev');
    return { template, templateWritten: existsSync(path.join(dir, TEMPLATE_FILE)) };
  } catch (error) {
    return { error: error as PackagingFailure['error'], templateWritten: existsSync(path.join(dir, TEMPLATE_FILE)) };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** `serverless <args>` in a variant, a child process, with the template it wrote. */
export async function spawnVariant(fixture: string, changes: Changes, args: string[]): Promise<Written> {
  const dir = await writeVariant(fixture, changes);
  try {
    return await readWritten(dir, await runServerlessCli(args, dir));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Runs the tasks, at most `limit` at a time, and returns their results in order. */
export async function inParallel<T>(tasks: (() => Promise<T>)[], limit = Math.max(2, os.cpus().length)): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next;
      next += 1;
      results[index] = await (tasks[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
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

// ---------------------------------------------------------------------------------------------------------------
// Reading templates

/** `Ref` of the plugin's alias of a function, by the function's normalised name (`Api` → `ApiTrafficShiftAlias`). */
export const aliasOf = (normalizedName: string): { Ref: string } => ({ Ref: `${normalizedName}TrafficShiftAlias` });

export interface FunctionReference {
  /** `<LogicalId>.Properties.…`, with `Fn::Join[1][5]` for items of an `Fn::Join` list. */
  path: string;
  /** How the value names the function: `GetAtt Arn`, `Ref`, `name` (a literal or Fn::Sub string with its deployed name). */
  form: 'GetAtt Arn' | 'Ref' | 'name';
  value: unknown;
}

/**
 * Every place in the resources that names the function itself (not an alias of it): `Fn::GetAtt [<Fn>, Arn]`,
 * `Ref <Fn>`, and strings (literals or `Fn::Sub`) holding its deployed name with no qualifier after it.
 */
export function functionReferences(template: CfnTemplate, functionLogicalId: string): FunctionReference[] {
  const deployedName = template.Resources[functionLogicalId]?.Properties?.FunctionName;
  const found: FunctionReference[] = [];
  const visit = (node: unknown, at: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${at}[${i}]`));
      return;
    }
    if (node !== null && typeof node === 'object') {
      const value = node as Record<string, unknown>;
      const getAtt = value['Fn::GetAtt'];
      if (Array.isArray(getAtt) && getAtt[0] === functionLogicalId && getAtt[1] === 'Arn') {
        found.push({ path: at, form: 'GetAtt Arn', value });
        return;
      }
      if (value.Ref === functionLogicalId) {
        found.push({ path: at, form: 'Ref', value });
        return;
      }
      for (const [key, item] of Object.entries(value)) visit(item, `${at}.${key}`);
      return;
    }
    if (typeof node === 'string' && typeof deployedName === 'string' && namesUnqualified(node, deployedName))
      found.push({ path: at, form: 'name', value: node });
  };
  for (const [id, resource] of Object.entries(template.Resources)) visit(resource, id);
  return found;
}

function namesUnqualified(text: string, deployedName: string): boolean {
  if (text === deployedName) return true;
  const marker = `:function:${deployedName}`;
  for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + 1)) {
    const rest = text.slice(at + marker.length);
    if (rest === '' || !/^[:\w-]/.test(rest)) return true;
  }
  return false;
}

/**
 * The references of `functionReferences` that may invoke the function: all of them except the function itself (its
 * deployed name), its versions and alias, its generated alarms' dimensions, IAM policy documents (grants, not invocations), and the
 * `FunctionName` of an EventInvokeConfig or the `TargetFunctionArn` of a Url whose `Qualifier` names an alias.
 */
export function invokingReferences(template: CfnTemplate, functionLogicalId: string): FunctionReference[] {
  const benignTypes = new Set([
    'AWS::Lambda::Function',
    'AWS::Lambda::Version',
    'AWS::Lambda::Alias',
    'AWS::CloudWatch::Alarm',
    'AWS::IAM::Role',
    'AWS::IAM::Policy',
    'AWS::IAM::ManagedPolicy',
  ]);
  return functionReferences(template, functionLogicalId).filter(({ path: at }) => {
    const id = at.split(/[.[]/)[0] as string;
    const resource = template.Resources[id] as CfnResource;
    if (benignTypes.has(resource.Type)) return false;
    const qualifiedProperty = {
      'AWS::Lambda::EventInvokeConfig': 'FunctionName',
      'AWS::Lambda::Url': 'TargetFunctionArn',
    }[resource.Type];
    return !(
      qualifiedProperty &&
      typeof resource.Properties?.Qualifier === 'string' &&
      at === `${id}.Properties.${qualifiedProperty}`
    );
  });
}

/** Logical ids a resource depends on directly: `DependsOn`, and `Ref`, `Fn::GetAtt` and `${…}` of Fn::Sub in it. */
export function directDependencies(template: CfnTemplate, logicalId: string): Set<string> {
  const resource = template.Resources[logicalId];
  const found = new Set<string>();
  if (!resource) return found;
  for (const id of [resource.DependsOn ?? []].flat()) found.add(id);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const value = node as Record<string, unknown>;
    if (typeof value.Ref === 'string') found.add(value.Ref);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.add(getAtt[0]);
    if (typeof getAtt === 'string') found.add(getAtt.split('.')[0] as string);
    const sub = value['Fn::Sub'];
    const text = Array.isArray(sub) ? sub[0] : sub;
    if (typeof text === 'string')
      for (const match of text.matchAll(/\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}/g)) found.add(match[1] as string);
    Object.values(value).forEach(visit);
  };
  visit(resource.Properties ?? {});
  for (const id of [...found]) if (!(id in template.Resources)) found.delete(id);
  return found;
}

/** Whether CloudFormation creates `dependency` before `logicalId`: a path of direct dependencies between them. */
export function dependsOnTransitively(template: CfnTemplate, logicalId: string, dependency: string): boolean {
  const seen = new Set<string>();
  const queue = [logicalId];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const next of directDependencies(template, id)) {
      if (next === dependency) return true;
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}

/**
 * The value at a path such as `ApiGatewayMethodGet.Properties.Integration.Uri.Fn::Join[1][5]` (a logical id, then
 * keys separated by dots and list indexes in brackets); throws, naming the path, when a step is missing.
 */
export function valueAt(template: CfnTemplate, at: string): unknown {
  const steps = at.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let node: unknown = template.Resources;
  let walked = '';
  for (const step of steps) {
    const index = /^\[(\d+)\]$/.exec(step);
    const key = index ? Number(index[1]) : step;
    const next =
      node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined;
    walked += index ? step : walked === '' ? step : `.${step}`;
    if (next === undefined) throw new Error(`The template has nothing at ${walked} (looking for ${at})`);
    node = next;
  }
  return node;
}

/** The plan's `events` lines per function (`serverless traffic plan` output), in order. */
export function planEvents(planText: string): Record<string, string[]> {
  const byFunction: Record<string, string[]> = {};
  let current: string[] | undefined;
  let inEvents = false;
  for (const line of planText.split('\n')) {
    const headline = /^([A-Za-z0-9_-]+): /.exec(line);
    if (headline) {
      current = byFunction[headline[1] as string] = [];
      inEvents = false;
      continue;
    }
    const field = /^ {2}(\S+)\s+(.*)$/.exec(line);
    if (field) inEvents = field[1] === 'events';
    const value = field ? field[2] : /^ {15}(.*)$/.exec(line)?.[1];
    if (inEvents && current && value !== undefined && value !== 'none') current.push(value.trim());
  }
  return byFunction;
}
