/**
 * Helpers for the event-source and bypass suites, beside helpers.ts (which they reuse and do not change):
 * - fixtures nested one level deeper (`test/fixtures/event-sources/<service>/`, plugin at `../../../..`), whose
 *   baseline helpers.ts cannot build (its temporary directory is named after the fixture, slash included);
 * - packaging in child processes, several at a time, to keep the suite's run time down;
 * - `serverless traffic plan` in a child process;
 * - reading templates: every reference to a function with its path, and the dependency graph of a resource.
 */
import { execFile } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fixtureDir, REPO_ROOT, TEMPLATE_FILE, type CfnResource, type CfnTemplate } from './helpers';

const SERVERLESS_DIR = path.join(REPO_ROOT, 'node_modules', 'serverless');
const SERVERLESS_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'serverless');
const PLUGIN_ENTRY = path.join(REPO_ROOT, 'dist', 'index.js');

type ReadConfiguration = (configurationPath: string) => Promise<Record<string, unknown>>;
// The framework's own reader: YAML with CloudFormation tags, exactly as `serverless package` reads it.
const readConfiguration: ReadConfiguration = require(path.join(SERVERLESS_DIR, 'lib', 'configuration', 'read'));

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Written extends CommandResult {
  /** The template the framework wrote to `.serverless/cloudformation-template-update-stack.json`, if it wrote one. */
  template?: CfnTemplate;
}

const ENV = {
  ...process.env,
  SLS_TELEMETRY_DISABLED: '1',
  SLS_TRACKING_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  FORCE_COLOR: '0',
};

function run(args: string[], cwd: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(SERVERLESS_BIN, args, { cwd, env: ENV, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
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

function assertPluginBuilt(): void {
  if (!existsSync(PLUGIN_ENTRY)) {
    throw new Error(
      `The fixtures load the plugin from ${path.relative(REPO_ROOT, PLUGIN_ENTRY)}, which does not exist: run "npm run build" first.`,
    );
  }
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
  await fs.rm(path.join(cwd, '.serverless'), { recursive: true, force: true });
  return readWritten(cwd, await run(args, cwd));
}

/**
 * The same service packaged without the plugin, in a child process: a temporary copy of the fixture whose
 * configuration has no plugin entry resolving to this repository and no `deploymentSettings` (the framework would
 * reject them once no plugin declares them). The configuration is written as JSON, which is valid YAML.
 */
export async function spawnBaseline(fixture: string): Promise<CfnTemplate> {
  const source = fixtureDir(fixture);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `traffic-shift-baseline-${fixture.replace(/[^\w-]/g, '_')}-`));
  try {
    for (const entry of await fs.readdir(source)) {
      if (entry !== 'serverless.yml' && entry !== '.serverless')
        await fs.cp(path.join(source, entry), path.join(dir, entry), { recursive: true });
    }
    const configuration = withoutPlugin(await readConfiguration(path.join(source, 'serverless.yml')), source);
    await fs.writeFile(path.join(dir, 'serverless.yml'), JSON.stringify(configuration, null, 2));
    return expectTemplate(`${fixture} without the plugin`, await readWritten(dir, await run(['package'], dir)));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
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
