/**
 * `npm run bench`: what serverless-traffic-shift costs, next to serverless-plugin-canary-deployments 0.8.0 (the plugin
 * it replaces), measured in the same run.
 *
 * 1. Load cost: require + constructor of each plugin, each in a fresh `node` process (what every `serverless` command
 *    pays, `sls offline` and `sls invoke local` included), the two plugins in turn, LOAD_RUNS times each; median.
 * 2. Per size (10, 50 and 150 functions; one event each, of mixed types), three generated services: no shifting
 *    plugin; serverless-traffic-shift (every function shifted by custom.deploymentSettings, default alarms); the old
 *    plugin (every function shifted by its own `deploymentSettings` with `type` and `alias`). Each is packaged by
 *    serverless 3.40.0 (from node_modules) RUNS times after one warm-up, the three in turn (rotating which goes
 *    first). Inside each package run a preload (load-timer.js) times require + constructor of the plugin and a probe
 *    plugin (probe.js) times every hook of it, in wall time (what a user waits for; a fresh process each run, so the
 *    plugin's code runs cold) and in the process's CPU time (steadier on a busy machine). Whole cost = require +
 *    constructor + all hooks; the ratio ours/old is the median of the ratios of runs made one after the other.
 *    Where the service passes CloudFormation's 500 resources (150 functions: 772 without a shifting plugin), ours
 *    stops with TRAFFIC_SHIFT_RESOURCE_LIMIT, as it must, after its whole transform (the check reads the finished
 *    template): its figures are until that error. No setting makes that service fit (it is over the limit alone), and
 *    serverless-plugin-split-stacks reads the deployed stack from AWS while packaging, so it cannot run here.
 * 3. serverless-traffic-shift alone: resources and template bytes added (the written templates with and without it),
 *    and resolveSettings + applyTrafficShift timed in-process on the inputs it received in the warm-up runs, warm, in
 *    rounds that take each size in turn (no size gets a better-tuned JIT or a quieter machine); median per size. The
 *    transform is checked to leave its input unchanged.
 *
 * Targets: require + constructor ≤ 10 ms; whole cost at 150 functions ≤ 0.1× the old plugin's.
 *
 * Plain JavaScript on dist/ (`npm run bench` builds first), so it runs on a fresh clone after `npm ci`.
 * Environment: BENCH_SIZES=10,50,150  BENCH_RUNS=5  BENCH_LOAD_RUNS=21  BENCH_KEEP=1 (keep the temporary services).
 */
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { writeService, EVENT_NAMES } = require('./service');

const ROOT = path.resolve(__dirname, '..');
const SERVERLESS = path.join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js');
const PROBE = path.join(__dirname, 'probe.js');
const LOAD_TIMER = path.join(__dirname, 'load-timer.js');
const TEMPLATE = path.join('.serverless', 'cloudformation-template-update-stack.json');

/** The two shifting plugins: where the framework finds them, their main file, their class name. */
const PLUGINS = {
  ours: { label: 'serverless-traffic-shift', dir: ROOT, entry: require.resolve(ROOT), className: 'TrafficShiftPlugin' },
  old: {
    label: `serverless-plugin-canary-deployments ${require('serverless-plugin-canary-deployments/package.json').version}`,
    dir: path.dirname(require.resolve('serverless-plugin-canary-deployments/package.json')),
    entry: require.resolve('serverless-plugin-canary-deployments'),
    className: 'ServerlessCanaryDeployments',
  },
};
const VARIANTS = ['none', 'ours', 'old'];

const SIZES = (process.env.BENCH_SIZES ?? '10,50,150').split(',').map(Number);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const LOAD_RUNS = Math.max(1, Number(process.env.BENCH_LOAD_RUNS ?? 21));
/** In-process: warm-up rounds, then at least this many timed rounds, and more until this much time has passed. */
const WARMUP_ROUNDS = 5;
const MIN_ROUNDS = 15;
const MAX_ROUNDS = 200;
const ROUNDS_BUDGET_MS = 4000;
/** The targets: load cost of serverless-traffic-shift, and its whole cost in `sls package` against the old plugin's. */
const LOAD_TARGET_MS = 10;
const WHOLE_RATIO_TARGET = 0.1;
const TARGET_SIZE = 150;

function requireDist(relative) {
  const file = path.join(ROOT, 'dist', relative);
  if (!fs.existsSync(`${file}.js`))
    throw new Error(`${path.relative(ROOT, file)}.js is missing: run "npm run build" (npm run bench does).`);
  return require(file);
}
const { resolveSettings } = requireDist('config/resolve');
const { applyTrafficShift } = requireDist('transform/index');

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const sum = (values) => values.reduce((total, value) => total + value, 0);
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const fmt = (n, digits = 1) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));

/**
 * Require + constructor of a plugin in a fresh process: the framework's side stands in as a few no-op functions
 * (registering the settings schema, the provider's naming), so the figure is the plugin's own.
 */
function loadOnce(plugin) {
  const script = `
    const serverless = {
      configSchemaHandler: { defineCustomProperties() {}, defineFunctionProperties() {} },
      getProvider: () => ({ naming: {}, getStage: () => 'dev' }),
      service: { custom: {}, provider: { name: 'aws' }, getAllFunctions: () => [], getFunction: () => ({}) },
      pluginManager: { spawn: async () => undefined, hooks: {}, plugins: [] },
    };
    const { now, since } = require(${JSON.stringify(path.join(__dirname, 'clock'))});
    const start = now();
    const Plugin = require(${JSON.stringify(plugin.entry)});
    const required = since(start);
    const constructing = now();
    new Plugin(serverless, {}, {});
    const constructed = since(constructing);
    process.stdout.write(JSON.stringify({ require: required, construct: constructed }));
  `;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`loading ${plugin.label} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

function measureLoad() {
  const samples = { ours: [], old: [] };
  for (const key of ['ours', 'old']) loadOnce(PLUGINS[key]); // warm the file system cache
  for (let i = 0; i < LOAD_RUNS; i += 1) {
    const order = i % 2 ? ['old', 'ours'] : ['ours', 'old'];
    for (const key of order) samples[key].push(loadOnce(PLUGINS[key]));
  }
  const summary = (runs) => {
    const totals = runs.map((r) => r.require.wall + r.construct.wall);
    return {
      requireMs: median(runs.map((r) => r.require.wall)),
      constructMs: median(runs.map((r) => r.construct.wall)),
      totalMs: median(totals),
      minMs: Math.min(...totals),
      maxMs: Math.max(...totals),
      totalCpuMs: median(runs.map((r) => r.require.cpu + r.construct.cpu)),
    };
  };
  return { ours: summary(samples.ours), old: summary(samples.old) };
}

/** One `serverless package` in `dir`: wall time, exit code, the probe's timings, the written template. */
function packageOnce(dir, variant, { capture } = {}) {
  const out = path.join(dir, '.bench-probe.json');
  fs.rmSync(path.join(dir, '.serverless'), { recursive: true, force: true });
  fs.rmSync(out, { force: true });
  const plugin = PLUGINS[variant];
  const env = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    FORCE_COLOR: '0',
    ...(plugin && {
      TRAFFIC_SHIFT_BENCH_OUT: out,
      TRAFFIC_SHIFT_BENCH_PLUGIN: plugin.className,
      TRAFFIC_SHIFT_BENCH_ENTRY: plugin.entry,
    }),
    ...(capture && { TRAFFIC_SHIFT_BENCH_CAPTURE: capture }),
  };
  const start = nowMs();
  // Every variant gets the preload, so none carries an overhead the others do not.
  const result = spawnSync(process.execPath, ['--require', LOAD_TIMER, SERVERLESS, 'package'], {
    cwd: dir,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = nowMs() - start;
  const templateFile = path.join(dir, TEMPLATE);
  const templateText =
    result.status === 0 && fs.existsSync(templateFile) ? fs.readFileSync(templateFile, 'utf8') : undefined;
  const probe = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : undefined;
  const output = `${result.stdout}\n${result.stderr}`;
  const hooks = probe && Object.values(probe.hooks);
  const costs = probe && {
    loadMs: probe.load.require.wall + probe.load.construct.wall,
    hookMs: sum(hooks.map((h) => h.wall)),
    wholeCpuMs: probe.load.require.cpu + probe.load.construct.cpu + sum(hooks.map((h) => h.cpu)),
    hooks: probe.hooks,
  };
  if (costs) costs.wholeMs = costs.loadMs + costs.hookMs;
  return { wallMs, status: result.status, output, templateText, costs };
}

/** resolveSettings + applyTrafficShift on the captured inputs of every size, warm, in interleaved rounds. */
function timeTransforms(inputs) {
  const once = ({ description, template }) => {
    const start = nowMs();
    let error;
    try {
      applyTrafficShift(resolveSettings(description), template);
    } catch (caught) {
      error = caught;
    }
    return { ms: nowMs() - start, error };
  };
  const before = inputs.map((input) => JSON.stringify(input.template));
  const outcomes = inputs.map(once);
  for (let round = 0; round < WARMUP_ROUNDS; round += 1) inputs.forEach(once);
  const samples = inputs.map(() => []);
  const started = nowMs();
  for (let round = 0; round < MIN_ROUNDS || (nowMs() - started < ROUNDS_BUDGET_MS && round < MAX_ROUNDS); round += 1) {
    inputs.forEach((input, i) => samples[i].push(once(input).ms));
  }
  inputs.forEach((input, i) => {
    if (JSON.stringify(input.template) !== before[i]) throw new Error('applyTrafficShift changed its input template');
  });
  return inputs.map((_, i) => ({ medianMs: median(samples[i]), runs: samples[i].length, error: outcomes[i].error }));
}

/** TRAFFIC_SHIFT_RESOURCE_LIMIT, as the framework prints it. */
const LIMIT_ERROR = /over CloudFormation's limit of 500/;

function measure(size, workDir) {
  const capture = path.join(workDir, `${size}-capture`);
  const dirs = {};
  for (const variant of VARIANTS) {
    dirs[variant] = path.join(workDir, `${size}-${variant}`);
    writeService(dirs[variant], { count: size, variant, pluginPath: PLUGINS[variant]?.dir, probe: PROBE });
  }

  // The warm-up run of serverless-traffic-shift says whether the service fits in one stack.
  const warm = packageOnce(dirs.ours, 'ours', { capture });
  const overLimit = warm.status !== 0 && LIMIT_ERROR.test(warm.output);
  const check = (run, variant) => {
    const expectedFailure = variant === 'ours' && overLimit;
    if ((run.status === 0) === expectedFailure)
      throw new Error(`serverless package (${variant}, ${size} functions) ended with ${run.status}:\n${run.output}`);
    if (variant !== 'none' && !run.costs) throw new Error(`the bench probe wrote nothing (${variant}, ${size})`);
  };
  check(warm, 'ours');
  for (const variant of ['none', 'old']) check(packageOnce(dirs[variant], variant), variant);

  const runs = { none: [], ours: [], old: [] };
  for (let i = 0; i < RUNS; i += 1) {
    const order = [...VARIANTS.slice(i % 3), ...VARIANTS.slice(0, i % 3)];
    for (const variant of order) {
      const run = packageOnce(dirs[variant], variant);
      check(run, variant);
      runs[variant].push(run);
    }
  }

  const last = (variant) => runs[variant][runs[variant].length - 1].templateText;
  const resources = (text) => Object.keys(JSON.parse(text).Resources).length;
  const addedByMessage = /serverless-traffic-shift adds (\d+)/.exec(warm.output);
  const cost = (variant) => {
    const of = (field) => median(runs[variant].map((r) => r.costs[field]));
    return { loadMs: of('loadMs'), hookMs: of('hookMs'), wholeMs: of('wholeMs'), wholeCpuMs: of('wholeCpuMs') };
  };
  const hookOf = (event) => median(runs.ours.map((r) => r.costs.hooks[event]?.wall ?? 0));
  const pairedRatio = (field) => median(runs.ours.map((r, i) => r.costs[field] / runs.old[i].costs[field]));
  const ours = cost('ours');
  const wallOurs = median(runs.ours.map((r) => r.wallMs));
  return {
    size,
    overLimit,
    resourcesBefore: resources(last('none')),
    resourcesAdded: {
      ours: overLimit ? Number(addedByMessage?.[1]) : resources(last('ours')) - resources(last('none')),
      old: resources(last('old')) - resources(last('none')),
    },
    bytesAdded: overLimit ? undefined : Buffer.byteLength(last('ours')) - Buffer.byteLength(last('none')),
    ours,
    old: cost('old'),
    ratio: pairedRatio('wholeMs'),
    cpuRatio: pairedRatio('wholeCpuMs'),
    hooks: {
      prepare: hookOf('before:package:compileFunctions'),
      transform: hookOf('after:aws:package:finalize:mergeCustomProviderResources'),
      summary: hookOf('after:package:finalize'),
    },
    wall: { none: median(runs.none.map((r) => r.wallMs)), ours: wallOurs, old: median(runs.old.map((r) => r.wallMs)) },
    sharePct: (100 * ours.wholeMs) / wallOurs,
    input: {
      description: JSON.parse(fs.readFileSync(`${capture}.service.json`, 'utf8')),
      template: JSON.parse(fs.readFileSync(`${capture}.template.json`, 'utf8')),
    },
  };
}

function table(header, lines) {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

function loadTable(load) {
  return table(
    ['plugin', 'require ms', 'constructor ms', 'require + constructor ms (min–max)', 'CPU ms'],
    ['ours', 'old'].map((key) => [
      PLUGINS[key].label,
      fmt(load[key].requireMs, 2),
      fmt(load[key].constructMs, 2),
      `${fmt(load[key].totalMs, 2)} (${fmt(load[key].minMs, 2)}–${fmt(load[key].maxMs, 2)})`,
      fmt(load[key].totalCpuMs, 2),
    ]),
  );
}

function comparisonTable(rows) {
  return table(
    [
      'functions',
      'ours: load · hooks · whole ms',
      'old: load · hooks · whole ms',
      'whole CPU ms ours · old',
      'whole ours/old (CPU)',
      'resources (+ours, +old)',
      'package none · ours · old s',
    ],
    rows.map((r) => [
      `${r.size}${r.overLimit ? ' †' : ''}`,
      `${fmt(r.ours.loadMs)} · ${fmt(r.ours.hookMs)} · ${fmt(r.ours.wholeMs)}`,
      `${fmt(r.old.loadMs)} · ${fmt(r.old.hookMs)} · ${fmt(r.old.wholeMs)}`,
      `${fmt(r.ours.wholeCpuMs)} · ${fmt(r.old.wholeCpuMs)}`,
      `${fmt(r.ratio, 3)} (${fmt(r.cpuRatio, 3)})`,
      `${r.resourcesBefore} (+${r.resourcesAdded.ours}, +${r.resourcesAdded.old})`,
      `${fmt(r.wall.none / 1000, 2)} · ${fmt(r.wall.ours / 1000, 2)} · ${fmt(r.wall.old / 1000, 2)}`,
    ]),
  );
}

function oursTable(rows) {
  return table(
    [
      'functions',
      'hooks ms: prepare · transform · summary',
      'whole ms /fn',
      'transform warm ms (/fn, runs)',
      'bytes added /fn',
      'share %',
    ],
    rows.map((r) => [
      `${r.size}${r.overLimit ? ' †' : ''}`,
      `${fmt(r.hooks.prepare)} · ${fmt(r.hooks.transform)} · ${r.overLimit ? '—' : fmt(r.hooks.summary)}`,
      fmt(r.ours.wholeMs / r.size, 3),
      `${fmt(r.transform.medianMs, 2)} (${fmt(r.transform.medianMs / r.size, 3)}, ${r.transform.runs})`,
      r.bytesAdded === undefined ? '—' : String(Math.round(r.bytesAdded / r.size)),
      fmt(r.sharePct, 2),
    ]),
  );
}

function main() {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'traffic-shift-bench-'));
  const started = nowMs();
  const elapsed = () => `${((nowMs() - started) / 1000).toFixed(0)}s`;
  console.log(`serverless-traffic-shift bench against ${PLUGINS.old.label}`);
  console.log(
    `node ${process.version}, ${os.cpus().length} CPUs, load average at start ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `load: ${LOAD_RUNS} fresh processes per plugin; package: serverless 3.40.0, ${SIZES.join(', ')} functions ` +
      `(events in turn: ${EVENT_NAMES.join(', ')}), ${RUNS} runs per variant after one warm-up\n`,
  );
  process.stdout.write('  require + constructor, fresh processes ... ');
  const load = measureLoad();
  console.log(`done (${elapsed()})`);
  const rows = [];
  try {
    for (const size of SIZES) {
      process.stdout.write(`  ${size} functions ... `);
      rows.push(measure(size, workDir));
      console.log(`done (${elapsed()})`);
    }
  } finally {
    if (process.env.BENCH_KEEP) console.log(`services kept in ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  }
  process.stdout.write('  transform in-process, all sizes in turn ... ');
  timeTransforms(rows.map((r) => r.input)).forEach((transform, i) => {
    if (transform.error && !(rows[i].overLimit && transform.error.code === 'TRAFFIC_SHIFT_RESOURCE_LIMIT'))
      throw transform.error;
    rows[i].transform = transform;
  });
  console.log(`done (${elapsed()}; load average ${os.loadavg()[0].toFixed(2)})`);

  console.log(`\nRequire + constructor, a fresh node process each (what every serverless command pays), median:\n`);
  console.log(loadTable(load));
  console.log(
    `\nInside serverless package, median of ${RUNS} runs each (ours = serverless-traffic-shift, old = ${PLUGINS.old.label}):\n`,
  );
  console.log(comparisonTable(rows));
  console.log(
    '\nload: require + constructor inside the package run; hooks: every hook of the plugin; whole: load + hooks, wall ' +
      'time, and the CPU time of the process over the same spans (steadier on a busy machine). whole ours/old: median ' +
      'of the ratios of runs made one after the other. resources: the service without a shifting plugin, and what ' +
      'each plugin adds.',
  );
  if (rows.some((r) => r.overLimit)) {
    console.log(
      "†: the service alone passes CloudFormation's 500 resources, and serverless-traffic-shift stops with " +
        'TRAFFIC_SHIFT_RESOURCE_LIMIT (as it must; the old plugin writes a template CloudFormation rejects): its ' +
        'figures are until that error, which comes after the whole transform (the check of the finished template), ' +
        'so they miss only the summary hook; its resources added are from the error message.',
    );
  }
  console.log('\nserverless-traffic-shift alone:\n');
  console.log(oursTable(rows));
  console.log(
    '\nhooks: before:package:compileFunctions (settings, targetAlias), after:aws:package:finalize:mergeCustomProviderResources ' +
      '(the transform), after:package:finalize (the summary), medians. transform warm: resolveSettings + ' +
      'applyTrafficShift in-process on the input the plugin received, after warm-up, in rounds taking each size in ' +
      "turn; median (the steady-state cost). share: the plugin's whole cost as a part of `serverless package` wall time.\n",
  );

  const target = rows.find((r) => r.size === TARGET_SIZE);
  const inPackageLoad = Math.max(...rows.map((r) => r.ours.loadMs));
  const checks = [
    [
      `require + constructor ≤ ${LOAD_TARGET_MS} ms: ${fmt(load.ours.totalMs, 2)} ms in a fresh process, at most ` +
        `${fmt(inPackageLoad, 2)} ms inside serverless package (old plugin: ${fmt(load.old.totalMs, 2)} ms)`,
      load.ours.totalMs <= LOAD_TARGET_MS && inPackageLoad <= LOAD_TARGET_MS,
    ],
    [
      `whole cost under 5 % of serverless package wall time (max ${Math.max(...rows.map((r) => r.sharePct)).toFixed(2)} %)`,
      rows.every((r) => r.sharePct < 5),
    ],
  ];
  if (target) {
    // Second, after the load target: the two targets first.
    checks.splice(1, 0, [
      `whole cost in serverless package at ${TARGET_SIZE} functions ≤ ${WHOLE_RATIO_TARGET}× the old plugin's ` +
        `(${fmt(target.ours.wholeMs)} ms against ${fmt(target.old.wholeMs)} ms: ${fmt(target.ratio, 3)}×; ` +
        `CPU time ${fmt(target.cpuRatio, 3)}×)`,
      target.ratio <= WHOLE_RATIO_TARGET,
    ]);
  }
  if (rows.length > 1) {
    // Marginal cost of one more function between consecutive sizes: flat when linear; a quadratic term makes it grow
    // with the size (from the first to the last interval by the ratio of their mean sizes).
    const slopes = (ms) => rows.slice(1).map((r, i) => (ms(r) - ms(rows[i])) / (r.size - rows[i].size));
    const warm = slopes((r) => r.transform.medianMs);
    const cold = slopes((r) => r.ours.wholeMs);
    const show = (values) => values.map((v) => v.toFixed(3)).join(' → ');
    checks.push([
      `one more function costs under 1 ms inside serverless package (${show(cold)} ms between successive sizes)`,
      cold.every((v) => v < 1),
    ]);
    if (rows.length > 2) {
      const meanSize = (i) => (rows[i].size + rows[i + 1].size) / 2;
      const quadratic = meanSize(warm.length - 1) / meanSize(0);
      checks.push([
        `linear: one more function costs ${show(warm)} ms warm between successive sizes ` +
          `(a quadratic term would grow it ${quadratic.toFixed(1)}× from the first to the last)`,
        warm[warm.length - 1] < warm[0] * Math.max(1.5, quadratic / 2),
      ]);
    }
  }
  for (const [text, ok] of checks) console.log(`${ok ? 'ok  ' : 'MISS'} ${text}`);
  console.log(
    `\ntotal ${elapsed()}, load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main();
