/**
 * `npm run bench`: how much serverless-traffic-shift adds to `serverless package`, for services of 10, 50 and 150
 * functions (one event each, of mixed types; all shifted by custom.deploymentSettings with the default alarms).
 *
 * Per size, in a temporary directory:
 * - `serverless package` (serverless 3.40.0 from node_modules) with and without the plugin, alternately, RUNS times
 *   each after one warm-up run; wall time is the median. A probe plugin (probe.js) times the plugin's two hooks inside
 *   those runs: what a user waits for (each run is a fresh process, so the plugin's code runs cold).
 * - The warm-up run also captures what the plugin receives (service description, compiled template with the
 *   framework's targetAlias wiring). Once every size is packaged, resolveSettings + applyTrafficShift are timed
 *   in-process on those inputs, warm, in rounds that take each size in turn (so no size gets a better-tuned JIT or a
 *   quieter machine than another); median per size. The transform is checked to leave its input unchanged.
 * - Resources and template bytes added: the written templates with and without the plugin.
 *
 * Plain JavaScript on dist/ (`npm run bench` builds first), so it runs on a fresh clone after `npm ci`.
 * Environment: BENCH_SIZES=10,50,150  BENCH_RUNS=3  BENCH_KEEP=1 (keep the temporary services).
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
const TEMPLATE = path.join('.serverless', 'cloudformation-template-update-stack.json');

const SIZES = (process.env.BENCH_SIZES ?? '10,50,150').split(',').map(Number);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
/** In-process: warm-up rounds, then at least this many timed rounds, and more until this much time has passed. */
const WARMUP_ROUNDS = 5;
const MIN_ROUNDS = 15;
const MAX_ROUNDS = 200;
const ROUNDS_BUDGET_MS = 4000;

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
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** One `serverless package` in `dir`: wall time, exit code, the probe's hook timings, the written template. */
function packageOnce(dir, { capture } = {}) {
  const out = path.join(dir, '.bench-probe.json');
  fs.rmSync(path.join(dir, '.serverless'), { recursive: true, force: true });
  fs.rmSync(out, { force: true });
  const env = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    FORCE_COLOR: '0',
    TRAFFIC_SHIFT_BENCH_OUT: out,
    ...(capture && { TRAFFIC_SHIFT_BENCH_CAPTURE: capture }),
  };
  const start = nowMs();
  const result = spawnSync(process.execPath, [SERVERLESS, 'package'], {
    cwd: dir,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = nowMs() - start;
  const templateFile = path.join(dir, TEMPLATE);
  const written =
    result.status === 0 && fs.existsSync(templateFile) ? fs.readFileSync(templateFile, 'utf8') : undefined;
  const probe = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : {};
  return { wallMs, status: result.status, output: `${result.stdout}\n${result.stderr}`, templateText: written, probe };
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

function measure(size, workDir) {
  const dirs = { with: path.join(workDir, `${size}-with`), without: path.join(workDir, `${size}-without`) };
  const common = { count: size, pluginPath: ROOT, probe: PROBE };
  writeService(dirs.with, { ...common, withPlugin: true });
  writeService(dirs.without, { ...common, withPlugin: false });
  const capture = path.join(workDir, `${size}-capture`);

  const warm = packageOnce(dirs.with, { capture });
  const budgetError = /TRAFFIC_SHIFT_RESOURCE_LIMIT|over CloudFormation's limit of 500/.test(warm.output);
  if (warm.status !== 0 && !budgetError)
    throw new Error(`serverless package with the plugin failed for ${size} functions:\n${warm.output}`);
  packageOnce(dirs.without);

  const runs = { with: [], without: [] };
  for (let i = 0; i < RUNS; i += 1) {
    for (const variant of ['without', 'with']) {
      const run = packageOnce(dirs[variant]);
      const expectedFailure = variant === 'with' && budgetError;
      if ((run.status === 0) === expectedFailure)
        throw new Error(
          `serverless package (${variant} the plugin, ${size} functions) ended with ${run.status}:\n${run.output}`,
        );
      runs[variant].push(run);
    }
  }

  const input = {
    description: JSON.parse(fs.readFileSync(`${capture}.service.json`, 'utf8')),
    template: JSON.parse(fs.readFileSync(`${capture}.template.json`, 'utf8')),
  };

  const last = (variant) => runs[variant][runs[variant].length - 1];
  const baseline = JSON.parse(last('without').templateText);
  const shifted = last('with').templateText;
  const resourcesBefore = Object.keys(baseline.Resources).length;
  const addedByMessage = /serverless-traffic-shift adds (\d+)/.exec(warm.output);
  const resourcesAdded = shifted
    ? Object.keys(JSON.parse(shifted).Resources).length - resourcesBefore
    : addedByMessage
      ? Number(addedByMessage[1])
      : undefined;
  const hookMs = median(runs.with.map((r) => r.probe.prepareMs + r.probe.transformMs));
  const wallWith = median(runs.with.map((r) => r.wallMs));
  return {
    size,
    budgetError,
    resourcesBefore,
    resourcesAdded,
    bytesAdded: shifted ? Buffer.byteLength(shifted) - Buffer.byteLength(last('without').templateText) : undefined,
    hookMs,
    prepareMs: median(runs.with.map((r) => r.probe.prepareMs)),
    input,
    wallWithout: median(runs.without.map((r) => r.wallMs)),
    wallWith,
    sharePct: (100 * hookMs) / wallWith,
  };
}

function table(rows) {
  const header = [
    'functions',
    'resources (added, /fn)',
    'bytes added /fn',
    'hooks in package ms (/fn)',
    'transform warm ms (/fn, runs)',
    'package w/o · with s',
    'share %',
  ];
  const fmt = (n, digits = 2) => (n === undefined ? '—' : n.toFixed(digits));
  const lines = rows.map((r) => [
    String(r.size),
    `${r.resourcesBefore} +${r.resourcesAdded ?? '?'} (${r.resourcesAdded === undefined ? '—' : (r.resourcesAdded / r.size).toFixed(2)})`,
    r.bytesAdded === undefined ? '— †' : String(Math.round(r.bytesAdded / r.size)),
    `${fmt(r.hookMs, 1)} (${fmt(r.hookMs / r.size, 3)})${r.budgetError ? ' †' : ''}`,
    `${fmt(r.transform.medianMs, 2)} (${fmt(r.transform.medianMs / r.size, 3)}, ${r.transform.runs})${r.budgetError ? ' †' : ''}`,
    `${fmt(r.wallWithout / 1000)} · ${fmt(r.wallWith / 1000)}${r.budgetError ? ' †' : ''}`,
    `${fmt(r.sharePct, 2)}${r.budgetError ? ' †' : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

function main() {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'traffic-shift-bench-'));
  const started = nowMs();
  console.log(
    `serverless-traffic-shift bench: ${SIZES.join(', ')} functions; events in turn: ${EVENT_NAMES.join(', ')}`,
  );
  console.log(
    `serverless 3.40.0 package, ${RUNS} runs each with and without the plugin (after one warm-up), node ${process.version}, ${os.cpus().length} CPUs\n`,
  );
  const rows = [];
  try {
    for (const size of SIZES) {
      process.stdout.write(`  ${size} functions ... `);
      const row = measure(size, workDir);
      rows.push(row);
      console.log(`done (${((nowMs() - started) / 1000).toFixed(0)}s)`);
    }
  } finally {
    if (process.env.BENCH_KEEP) console.log(`services kept in ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  }
  process.stdout.write('  transform in-process, all sizes in turn ... ');
  timeTransforms(rows.map((r) => r.input)).forEach((transform, i) => {
    const row = rows[i];
    if (transform.error && !(row.budgetError && transform.error.code === 'TRAFFIC_SHIFT_RESOURCE_LIMIT'))
      throw transform.error;
    row.transform = transform;
  });
  console.log(`done (${((nowMs() - started) / 1000).toFixed(0)}s)`);

  console.log(`\n${table(rows)}\n`);
  console.log(
    "hooks in package: the plugin's two hooks (prepareFunctions + transformTemplate) inside `serverless package`, median of the runs (cold code: one call per process).",
  );
  console.log(
    'transform warm: resolveSettings + applyTrafficShift in-process on the template the plugin received, after warm-up, in rounds taking each size in turn; median (the steady-state cost).',
  );
  console.log("share: the plugin's hooks as a part of the `serverless package` wall time with the plugin.");
  if (rows.some((r) => r.budgetError)) {
    console.log(
      "†: over CloudFormation's 500 resources, so packaging with the plugin stops with TRAFFIC_SHIFT_RESOURCE_LIMIT (as it must): " +
        'wall time and hooks are until that error; the budget check runs after all the rewriting and the bypass check; ' +
        'resources added are from the error message.',
    );
  }

  const perFn = rows.map((r) => r.hookMs / r.size);
  const checks = [
    [
      `plugin under 1 ms per function at every size (max ${Math.max(...perFn).toFixed(3)} ms)`,
      perFn.every((v) => v < 1),
    ],
    [
      `plugin share of serverless package under 5 % (max ${Math.max(...rows.map((r) => r.sharePct)).toFixed(2)} %)`,
      rows.every((r) => r.sharePct < 5),
    ],
  ];
  if (rows.length > 2) {
    // Marginal cost of one more function between consecutive sizes: flat when linear; a quadratic term makes it grow
    // with the size (from the first to the last interval by the ratio of their mean sizes).
    const slopes = (ms) => rows.slice(1).map((r, i) => (ms(r) - ms(rows[i])) / (r.size - rows[i].size));
    const warm = slopes((r) => r.transform.medianMs);
    const cold = slopes((r) => r.hookMs);
    const meanSize = (i) => (rows[i].size + rows[i + 1].size) / 2;
    const quadratic = meanSize(warm.length - 1) / meanSize(0);
    const show = (values) => values.map((v) => v.toFixed(3)).join(' → ');
    checks.push([
      `linear: marginal cost of one more function, warm ${show(warm)} ms, in package ${show(cold)} ms, between successive sizes ` +
        `(a quadratic term would grow it ${quadratic.toFixed(1)}× from the first to the last)`,
      warm[warm.length - 1] < warm[0] * Math.max(1.5, quadratic / 2),
    ]);
  }
  for (const [text, ok] of checks) console.log(`${ok ? 'ok  ' : 'MISS'} ${text}`);
  console.log(`\ntotal ${((nowMs() - started) / 1000).toFixed(0)}s`);
}

main();
