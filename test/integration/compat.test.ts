/**
 * Compatibility matrix: the same services packaged by a spawned `serverless package` of
 * - serverless 3.40.0 (the root devDependency: the reference),
 * - osls 3.x (compat/osls3) and osls 4.x (compat/osls4), each installed in a directory of its own because its
 *   `serverless` bin would replace serverless@3.40.0's at the root (`npm ci --prefix compat/osls3`, as .ci/run does),
 * - the Serverless Framework v4.9.1 engine (lib/ of its repository at tag v4.9.1, MIT), kept beside the repository in
 *   ../shared/frameworks/serverless-v4.9.1 and run by compat/v4/run.mjs in place of v4's CLI (which cannot run here:
 *   it downloads the framework and needs a licence), with its npm dependencies from compat/v4 (`npm ci --prefix
 *   compat/v4`) and stand-ins for its private core (compat/v4/sf-core: no login, no licence, no AWS); all its own
 *   package lifecycle runs, from package:cleanup through package:compileFunctions to aws:package:finalize,
 * must give the plugin's resources and wiring, and its summary, exactly as serverless 3.40.0 does. The services: the example service
 * (stage prod, serverless-offline loaded), the fixtures `strategies` (every strategy kind but BlueGreen),
 * `health-generated` (BlueGreen, generated hooks, triggers), `health-hooks` (hooks of the service, their roles),
 * `health-alerts` (serverless-plugin-aws-alerts) and compat/services/bundled (serverless-esbuild bundling TypeScript
 * on nodejs20.x, with aws-alerts and serverless-offline), and an invalid variant of the `settings` fixture that must
 * fail the same way.
 *
 * Each framework packages its own copy in compat/.work/<framework>/<service>/ (never the fixture itself: other test
 * files package the fixtures in parallel), where the plugin is listed by its package name, as users list it, and
 * resolves through a stub node_modules/serverless-traffic-shift that loads this repository: osls 4 accepts only
 * package names and `./` paths inside the service in `plugins`, not `../../..`. `frameworkVersion` is set to the
 * framework's major version (osls 4 refuses `frameworkVersion: '3'`). Under v4 a service loading serverless-esbuild
 * sets `build.esbuild: false`, as v4 requires for that plugin. Nothing reaches the network.
 *
 * `serverless traffic plan` of the example service, without AWS credentials, prints the same plan on v4 as on
 * serverless 3.40.0 (v4 looks up the deployment bucket while packaging; the plugin skips that for the plan).
 */
import { execFile } from 'child_process';
import { existsSync, promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import {
  fixtureDir,
  pathsWhere,
  REPO_ROOT,
  TEMPLATE_FILE,
  trafficShiftResources,
  withoutPackagingTimestamp,
  type CfnTemplate,
} from './helpers';

type ReadConfiguration = (configurationPath: string) => Promise<Record<string, unknown>>;
// The framework's own reader (YAML with CloudFormation tags), as the integration helpers use it.
const readConfiguration: ReadConfiguration = require(
  path.join(REPO_ROOT, 'node_modules', 'serverless', 'lib', 'configuration', 'read'),
);

const PLUGIN_NAME = 'serverless-traffic-shift';
const WORK_DIR = path.join(REPO_ROOT, 'compat', '.work');
const RUN_TIMEOUT_MS = 90_000;
/** Packaging runs at once: each is one node process, mostly CPU-bound. */
const CONCURRENCY = 3;

interface Framework {
  id: string;
  label: string;
  bin: string;
  /** Arguments before the command (the v4 runner's script). */
  args?: string[];
  env?: Record<string, string>;
  major: 3 | 4;
  /** Why it cannot run here, when it cannot. */
  missing?: string;
}

function osls(major: 3 | 4): Framework {
  const dir = path.join(REPO_ROOT, 'compat', `osls${major}`);
  const bin = path.join(dir, 'node_modules', '.bin', 'serverless');
  const manifest = path.join(dir, 'node_modules', 'osls', 'package.json');
  const installed = existsSync(bin) && existsSync(manifest);
  const version = installed
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
    : `${major}.x`;
  return {
    id: `osls${major}`,
    label: `osls ${version}`,
    bin,
    major,
    ...(!installed && {
      missing: `${path.relative(REPO_ROOT, path.join(dir, 'node_modules'))} is missing (run "npm ci --prefix compat/osls${major}")`,
    }),
  };
}

/** Where the v4.9.1 engine is kept: beside the repository, never in it (SERVERLESS_V4_ENGINE names another copy). */
const V4_ENGINE = path.resolve(
  process.env.SERVERLESS_V4_ENGINE ?? path.join(REPO_ROOT, '..', 'shared', 'frameworks', 'serverless-v4.9.1'),
);

function v4(): Framework {
  const dir = path.join(REPO_ROOT, 'compat', 'v4');
  const missing = !existsSync(path.join(V4_ENGINE, 'lib', 'serverless.js'))
    ? `${path.relative(REPO_ROOT, V4_ENGINE)} is missing (the Serverless Framework v4.9.1 engine: lib/ of its repository at tag v4.9.1, kept beside this repository)`
    : !existsSync(path.join(dir, 'node_modules', 'ajv'))
      ? `${path.relative(REPO_ROOT, path.join(dir, 'node_modules'))} is missing (run "npm ci --prefix compat/v4")`
      : undefined;
  return {
    id: 'v4',
    label: 'serverless 4.9.1 engine',
    bin: process.execPath,
    args: [path.join(dir, 'run.mjs')],
    // Its schema validators are cached under this directory instead of the home directory.
    env: { SERVERLESS_V4_ENGINE: V4_ENGINE, SLS_SCHEMA_CACHE_BASE_DIR: path.join(WORK_DIR, 'v4-schema-cache') },
    major: 4,
    ...(missing !== undefined && { missing }),
  };
}

const REFERENCE: Framework = {
  id: 'serverless3',
  label: 'serverless 3.40.0',
  bin: path.join(REPO_ROOT, 'node_modules', '.bin', 'serverless'),
  major: 3,
};
const V4 = v4();
/** Each compared with the reference. */
const OSLS: Framework[] = [osls(3), osls(4), V4];
const FRAMEWORKS = [REFERENCE, ...OSLS.filter((f) => f.missing === undefined)];

interface Service {
  name: string;
  source: string;
  stage: string;
  /** The resources outside the plugin's own that must refer to one of them (event sources on the alias, hook roles). */
  wiredFrom: string[];
  /** Something the other plugins loaded beside this one must have produced. */
  check?: (template: CfnTemplate, artifacts: Map<string, Buffer>) => void;
  /** A change to the fixture's configuration, for a variant of it. */
  edit?: (configuration: Record<string, unknown>) => void;
}

const SERVICES: Service[] = [
  {
    name: 'example-service',
    source: path.join(REPO_ROOT, 'example-service'),
    stage: 'prod',
    wiredFrom: [
      'ApiLambdaPermissionHttpApi',
      'HttpApiIntegrationApi',
      'NightlyEventsRuleSchedule1',
      'NightlyLambdaPermissionEventsRuleSchedule1',
      'WorkerEventSourceMappingSQSWorkQueue',
    ],
  },
  { name: 'strategies', source: fixtureDir('strategies'), stage: 'dev', wiredFrom: [] },
  { name: 'health-generated', source: fixtureDir('health-generated'), stage: 'dev', wiredFrom: [] },
  { name: 'health-hooks', source: fixtureDir('health-hooks'), stage: 'dev', wiredFrom: ['PostHookLambdaFunction'] },
  {
    name: 'health-alerts',
    source: fixtureDir('health-alerts'),
    stage: 'dev',
    wiredFrom: [],
    check: (template) => expect(template.Resources.ApiFunctionErrorsAlarm?.Type).toBe('AWS::CloudWatch::Alarm'),
  },
  {
    name: 'bundled',
    source: path.join(REPO_ROOT, 'compat', 'services', 'bundled'),
    stage: 'dev',
    wiredFrom: ['ApiLambdaPermissionHttpApi', 'HttpApiIntegrationApi'],
    check: (template, artifacts) => {
      expect(template.Resources.ApiFunctionErrorsAlarm?.Type).toBe('AWS::CloudWatch::Alarm');
      // serverless-esbuild packaged the bundle, not the TypeScript source.
      const zip = artifacts.get('ts-compat-bundled.zip');
      expect(zip?.includes('src/api.js')).toBe(true);
      expect(zip?.includes('src/api.ts')).toBe(false);
      expect(zip?.includes('src/greeting')).toBe(false);
    },
  },
];
const FAILING: Service = {
  name: 'settings-bake-too-long',
  source: fixtureDir('settings'),
  stage: 'dev',
  wiredFrom: [],
  edit: (configuration) =>
    Object.assign((configuration.functions as { api: { deploymentSettings: object } }).api.deploymentSettings, {
      bakeTime: 56,
    }),
};

interface Run {
  exitCode: number;
  output: string;
  stdout: string;
  ms: number;
  template?: CfnTemplate;
  /** The .zip files the framework wrote, by name. */
  artifacts: Map<string, Buffer>;
}

/** A copy of the service for one framework and command, listing the plugin by its package name. */
async function prepare(service: Service, framework: Framework, command: string[]): Promise<string> {
  const dir = path.join(
    WORK_DIR,
    framework.id,
    [service.name, ...command.filter((word) => word !== 'package')].join('-'),
  );
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  for (const entry of await fs.readdir(service.source)) {
    if (!['serverless.yml', '.serverless', '.esbuild', 'node_modules'].includes(entry)) {
      await fs.cp(path.join(service.source, entry), path.join(dir, entry), { recursive: true });
    }
  }
  const configuration = await readConfiguration(path.join(service.source, 'serverless.yml'));
  const plugins = configuration.plugins as unknown[];
  const isThisPlugin = (entry: unknown): boolean =>
    typeof entry === 'string' && path.resolve(service.source, entry) === REPO_ROOT;
  if (!plugins.some(isThisPlugin))
    throw new Error(`${service.source}/serverless.yml does not load the plugin from this repository`);
  configuration.plugins = plugins.map((entry) => (isThisPlugin(entry) ? PLUGIN_NAME : entry));
  configuration.frameworkVersion = String(framework.major);
  service.edit?.(configuration);
  // v4 bundles TypeScript itself and refuses serverless-esbuild unless its own build is off.
  if (framework.id === 'v4' && plugins.includes('serverless-esbuild')) {
    configuration.build = { ...(configuration.build as object | undefined), esbuild: false };
  }
  // JSON is valid YAML; the framework resolves the ${...} variables it kept as strings.
  await fs.writeFile(path.join(dir, 'serverless.yml'), JSON.stringify(configuration, null, 2));
  const stub = path.join(dir, 'node_modules', PLUGIN_NAME);
  await fs.mkdir(stub, { recursive: true });
  await fs.writeFile(
    path.join(stub, 'package.json'),
    JSON.stringify({ name: PLUGIN_NAME, version: '0.0.0-compat', main: 'index.js' }),
  );
  await fs.writeFile(path.join(stub, 'index.js'), `module.exports = require(${JSON.stringify(REPO_ROOT)});\n`);
  return dir;
}

async function packageWith(service: Service, framework: Framework, command = ['package']): Promise<Run> {
  const cwd = await prepare(service, framework, command);
  const env = {
    ...process.env,
    ...framework.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
  };
  const started = Date.now();
  const { exitCode, output, stdout } = await new Promise<{ exitCode: number; output: string; stdout: string }>(
    (resolve, reject) => {
      execFile(
        framework.bin,
        [...(framework.args ?? []), ...command, '--stage', service.stage],
        { cwd, env, timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number')
            reject(new Error(`${framework.label} in ${cwd}: ${error.message}\n${stdout}\n${stderr}`));
          else resolve({ exitCode: error ? (error.code as number) : 0, output: `${stdout}\n${stderr}`, stdout });
        },
      );
    },
  );
  const ms = Date.now() - started;
  const artifacts = new Map<string, Buffer>();
  const outputDir = path.join(cwd, '.serverless');
  if (existsSync(outputDir)) {
    for (const file of await fs.readdir(outputDir))
      if (file.endsWith('.zip')) artifacts.set(file, await fs.readFile(path.join(outputDir, file)));
  }
  const templateFile = path.join(cwd, TEMPLATE_FILE);
  const template = existsSync(templateFile)
    ? (JSON.parse(await fs.readFile(templateFile, 'utf8')) as CfnTemplate)
    : undefined;
  return { exitCode, output, stdout, ms, artifacts, ...(template && { template }) };
}

/**
 * What the plugin makes of the template, comparable across frameworks: its own resources (`*TrafficShift*`), and
 * every place where another resource refers to one of them (events on the alias, hook roles, DependsOn), plus the
 * environment it gives hooks. Version logical ids carry a hash of the artifact (each framework zips differently) and
 * S3 keys a timestamp: both are normalised.
 */
function footprint(template: CfnTemplate): {
  resources: Record<string, unknown>;
  references: Record<string, unknown>;
  hookEnvironment: Record<string, unknown>;
} {
  const normalised = JSON.parse(
    JSON.stringify(withoutPackagingTimestamp(template)).replace(/LambdaVersion[A-Za-z0-9]+/g, 'LambdaVersion<hash>'),
  ) as CfnTemplate;
  const references: Record<string, unknown> = {};
  const hookEnvironment: Record<string, unknown> = {};
  for (const [id, resource] of Object.entries(normalised.Resources)) {
    if (id.includes('TrafficShift')) continue;
    const values: string[] = [];
    const paths = pathsWhere(
      resource,
      (v) => typeof v === 'string' && v.includes('TrafficShift') && values.push(v) > 0,
    );
    paths.forEach((at, i) => (references[`${id}.${at}`] = values[i]));
    const variables =
      (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    if ('TRAFFIC_SHIFT_NEW_VERSION_ARN' in variables) hookEnvironment[id] = variables.TRAFFIC_SHIFT_NEW_VERSION_ARN;
  }
  return { resources: Object.fromEntries(trafficShiftResources(normalised)), references, hookEnvironment };
}

const runs = new Map<string, Promise<Run>>();
const key = (service: Service, framework: Framework, command = PACKAGE): string =>
  `${framework.id}/${service.name}/${command.join(' ')}`;
const PACKAGE = ['package'];
const PLAN = ['traffic', 'plan'];
/** `traffic plan` without credentials: on the reference and on v4, whose packaging looks up the bucket in AWS. */
const PLANNED = SERVICES[0] as Service;

/** At most `concurrency` tasks at once. */
function limiter(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

/** Starts every packaging, CONCURRENCY at a time; each test awaits its own. Logs the time each took. */
function startAll(): void {
  const limit = limiter(CONCURRENCY);
  const started = Date.now();
  const jobs = [
    ...[...SERVICES, FAILING].flatMap((service) =>
      FRAMEWORKS.map((framework) => ({ service, framework, command: PACKAGE })),
    ),
    ...[REFERENCE, V4]
      .filter((framework) => framework.missing === undefined)
      .map((framework) => ({ service: PLANNED, framework, command: PLAN })),
  ];
  const all = jobs.map(({ service, framework, command }) => {
    const run = limit(() => packageWith(service, framework, command));
    runs.set(key(service, framework, command), run);
    const what = `${service.name} (${command.join(' ')})`;
    return run.then(
      (r) => `${framework.label.padEnd(24)} ${what.padEnd(40)} exit ${r.exitCode} ${r.ms} ms`,
      (error: Error) => `${framework.label.padEnd(24)} ${what.padEnd(40)} ${error.message.split('\n')[0]}`,
    );
  });
  void Promise.all(all).then((lines) =>
    console.log(
      `compat: ${lines.length} packagings in ${Date.now() - started} ms, ${CONCURRENCY} at a time\n${lines.join('\n')}`,
    ),
  );
}

async function result(service: Service, framework: Framework, command = PACKAGE): Promise<Run> {
  const run = runs.get(key(service, framework, command));
  if (!run) throw new Error(`No ${command.join(' ')} of ${service.name} with ${framework.label} was started`);
  return run;
}

async function packaged(
  service: Service,
  framework: Framework,
  command = PACKAGE,
): Promise<Run & { template: CfnTemplate }> {
  const run = await result(service, framework, command);
  if (run.exitCode !== 0 || !run.template)
    throw new Error(`${framework.label} failed to package ${service.name} (exit ${run.exitCode}):\n${run.output}`);
  return run as Run & { template: CfnTemplate };
}

beforeAll(startAll);

afterAll(async () => {
  await Promise.allSettled([...runs.values()]);
  await fs.rm(WORK_DIR, { recursive: true, force: true });
});

for (const framework of OSLS) {
  if (framework.missing !== undefined) {
    console.warn(`compat: skipping ${framework.label}: ${framework.missing}`);
  }
}

describe.each(SERVICES)('$name', (service) => {
  it(`${REFERENCE.label} packages it with the plugin and the other plugins loaded (the reference)`, async () => {
    const { template, output, artifacts } = await packaged(service, REFERENCE);
    expect(summary(output)[0]).toBe('serverless-traffic-shift:');
    expect(summary(output).length).toBeGreaterThan(1);
    const { resources, references } = footprint(template);
    expect(Object.keys(resources)).toEqual(expect.arrayContaining([expect.stringMatching(/TrafficShiftAlias$/)]));
    expect([...new Set(Object.keys(references).map((at) => at.split('.')[0]))].sort()).toEqual(service.wiredFrom);
    service.check?.(template, artifacts);
  });

  for (const framework of OSLS) {
    const title = `${framework.label}: the same plugin resources, alias wiring and hook environment as ${REFERENCE.label}`;
    if (framework.missing !== undefined) {
      it.skip(`${title} [SKIPPED: ${framework.missing}]`, () => undefined);
      continue;
    }
    it(title, async () => {
      const reference = await packaged(service, REFERENCE);
      const run = await packaged(service, framework);
      expect(summary(run.output)).toEqual(summary(reference.output));
      expect(footprint(run.template)).toEqual(footprint(reference.template));
      service.check?.(run.template, run.artifacts);
    });
  }
});

/** The plugin's summary after packaging: "serverless-traffic-shift:" and its indented lines. */
function summary(output: string): string[] {
  const lines = output.split('\n');
  const start = lines.indexOf('serverless-traffic-shift:');
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('  '));
  return lines.slice(start, end < 0 ? undefined : end);
}

describe(`traffic plan without AWS credentials (${PLANNED.name})`, () => {
  const title = `${V4.label}: plans without the deployment bucket lookup, says so, and prints the plan ${REFERENCE.label} prints`;
  if (V4.missing !== undefined) {
    it.skip(`${title} [SKIPPED: ${V4.missing}]`, () => undefined);
  } else {
    it(title, async () => {
      const reference = await packaged(PLANNED, REFERENCE, PLAN);
      const run = await packaged(PLANNED, V4, PLAN);
      expect(reference.stdout).toMatch(/^Traffic plan for stage "prod"\n\napi: /);
      expect(run.stdout).toBe(reference.stdout);
      expect(run.output).toContain(
        'serverless-traffic-shift: no AWS credentials: planned without the deployment bucket lookup that Serverless Framework v4 makes while packaging.',
      );
      expect(reference.output).not.toContain('no AWS credentials');
    });
  }
});

describe(`invalid settings (fixture ${FAILING.name})`, () => {
  for (const framework of [REFERENCE, ...OSLS]) {
    const title = `${framework.label}: exits non-zero with the plugin's message naming functions.api.deploymentSettings.bakeTime, no template`;
    if (framework.missing !== undefined) {
      it.skip(`${title} [SKIPPED: ${framework.missing}]`, () => undefined);
      continue;
    }
    it(title, async () => {
      const run = await result(FAILING, framework);
      expect(run.exitCode).not.toBe(0);
      expect(run.output).toContain(
        'Invalid deployment setting: functions.api.deploymentSettings.bakeTime is 56, more than 55. Accepted: whole minutes from 1 to 55 ' +
          '(CodeDeploy fails a hook that does not report within an hour). [TRAFFIC_SHIFT_INVALID_SETTING]',
      );
      expect(run.template).toBeUndefined();
    });
  }
});
