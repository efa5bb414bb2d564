/**
 * Runs a command on a service with the Serverless Framework v4 engine (lib/ of the framework's repository at tag
 * v4.9.1, MIT), in place of v4's CLI, which cannot run here (its npm package downloads the framework on first use and
 * the framework needs a licence): `node compat/v4/run.mjs package --stage dev` in the service's directory.
 *
 * The engine is used from where it is kept, `../shared/frameworks/serverless-v4.9.1` beside the repository (or
 * SERVERLESS_V4_ENGINE): loader.mjs resolves its npm dependencies from this directory and its imports of v4's private
 * core (@serverlessinc/sf-core) from ./sf-core, stand-ins with no login or licence code. What v4's core does before
 * the engine runs, the runner does with serverless 3.40 from the repository's node_modules: it reads
 * serverless.yml and resolves its variables (${opt:…}, ${sls:…}, ${self:…}, ${env:…}). Then, as v4's core does, it
 * constructs the engine's Serverless with the service, the command, its options and an AWS credential provider, and
 * runs init() and run(): every lifecycle event with the engine's own plugins and the service's.
 *
 * No AWS: the credential provider fails, as it does for a user without credentials. For `package`, v4's
 * package:initialize looks the deployment bucket up in AWS first; the runner gives the engine's package plugin a
 * bucket name, so it skips the lookup as it does once it knows the bucket (the name appears nowhere: the template
 * refers to the stack's bucket). Other commands run as they come. An error is printed as v4's CLI prints it (the
 * stack, else the message) and the exit code is 1.
 */
import { spawnSync } from 'node:child_process';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const engineDir = path.resolve(
  process.env.SERVERLESS_V4_ENGINE ?? path.join(repoRoot, '..', 'shared', 'frameworks', 'serverless-v4.9.1'),
);
const ENGINE_VERSION = '4.9.1';

// The engine also loads CommonJS (the validators Ajv generates, with require-from-string): `require` resolves from
// the paths in NODE_PATH, read when node starts. Set, the runner runs once more.
const dependencies = path.join(here, 'node_modules');
if (!(process.env.NODE_PATH ?? '').split(path.delimiter).includes(dependencies)) {
  const NODE_PATH = [dependencies, process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
  const run = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_PATH },
  });
  process.exit(run.status ?? 1);
}

register('./loader.mjs', import.meta.url, { data: { engineDir } });

const serverless3 = createRequire(path.join(repoRoot, 'node_modules', 'serverless', 'package.json'));
const variables = (name) => serverless3(`./lib/configuration/variables/${name}`);

/** `traffic plan --stage dev --json` → commands ['traffic', 'plan'], options { stage: 'dev', json: true }. */
function parseArguments(argv) {
  const commands = [];
  const options = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      commands.push(arg);
      continue;
    }
    const name = arg.slice(2);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) options[name] = true;
    else {
      options[name] = value;
      i += 1;
    }
  }
  return { commands, options };
}

async function readService(serviceDir, options) {
  const read = serverless3('./lib/configuration/read');
  const configuration = await read(path.join(serviceDir, 'serverless.yml'));
  const variablesMeta = variables('resolve-meta')(configuration);
  if (variablesMeta.size > 0) {
    await variables('resolve')({
      serviceDir,
      configuration,
      variablesMeta,
      sources: {
        env: variables('sources/env'),
        file: variables('sources/file'),
        opt: variables('sources/opt'),
        self: variables('sources/self'),
        strToBool: variables('sources/str-to-bool'),
        sls: variables('sources/instance-dependent/get-sls')({ instanceId: String(Date.now()) }),
      },
      options,
      fulfilledSources: new Set(['env', 'file', 'opt', 'self', 'strToBool', 'sls']),
      propertyPathsToResolve: null,
      variableSourcesInConfig: new Set(),
    });
    variables('eventually-report-resolution-errors')(
      path.join(serviceDir, 'serverless.yml'),
      configuration,
      variablesMeta,
    );
  }
  return configuration;
}

async function main() {
  const { commands, options } = parseArguments(process.argv.slice(2));
  const serviceDir = process.cwd();
  const configuration = await readService(serviceDir, options);
  const { default: Serverless } = await import(pathToFileURL(path.join(engineDir, 'lib', 'serverless.js')).href);
  const serverless = new Serverless({
    version: ENGINE_VERSION,
    commands,
    options,
    servicePath: serviceDir,
    serviceConfigFileName: 'serverless',
    service: configuration,
    credentialProviders: {
      aws: async () => {
        throw new Error('AWS credentials missing: the compatibility test runs without AWS.');
      },
    },
    region: options.region ?? configuration.provider?.region ?? null,
  });
  await serverless.init();
  if (commands.join(' ') === 'package') {
    const awsPackage = serverless.pluginManager.plugins.find((plugin) => plugin.constructor.name === 'AwsPackage');
    awsPackage.bucketName = 'deployment-bucket-not-looked-up';
  }
  await serverless.run();
}

main().catch((error) => {
  process.stderr.write(`\n✖ ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
