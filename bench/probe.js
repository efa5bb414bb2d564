/**
 * A bench-only Serverless plugin, listed after the plugin under test (the class named in TRAFFIC_SHIFT_BENCH_PLUGIN,
 * serverless-traffic-shift's by default): it wraps each of that plugin's entries in the framework's hook table with a
 * timer, so the bench measures exactly the plugin's own hooks inside a real `serverless package`, every event it
 * handles (including a hook that throws). When the process exits it writes to the file in TRAFFIC_SHIFT_BENCH_OUT the
 * wall and CPU time of each hook (clock.js) and what load-timer.js measured (require and constructor). With
 * TRAFFIC_SHIFT_BENCH_CAPTURE set, it also writes what serverless-traffic-shift's transform receives (outside the
 * timed part): the service description as the plugin builds it, and the compiled template.
 */
'use strict';

const fs = require('fs');
const { now, since } = require('./clock');

const PLUGIN = process.env.TRAFFIC_SHIFT_BENCH_PLUGIN || 'TrafficShiftPlugin';
const LOAD = Symbol.for('serverless-traffic-shift.bench.load');
/** serverless-traffic-shift's hooks whose input the capture writes. */
const CAPTURED = {
  'after:aws:package:finalize:mergeCustomProviderResources': ['service', 'template'],
};

/**
 * What serverless-traffic-shift's packaging part builds from the framework and resolves its settings from: read
 * through the plugin's own (private) describeService(), so the capture is exactly the plugin's input.
 */
function describeService(serverless) {
  const plugin = serverless.pluginManager.plugins.find((candidate) => candidate.constructor.name === PLUGIN);
  const packaging = plugin?.packagingPart;
  if (typeof packaging?.describeService !== 'function')
    throw new Error('bench probe: the plugin has no packaging part with describeService() to capture');
  return packaging.describeService();
}

class TrafficShiftBenchProbe {
  constructor(serverless) {
    const out = process.env.TRAFFIC_SHIFT_BENCH_OUT;
    const capture = process.env.TRAFFIC_SHIFT_BENCH_CAPTURE;
    const hooks = {};
    const captures = {
      service: () => fs.writeFileSync(`${capture}.service.json`, JSON.stringify(describeService(serverless))),
      template: () =>
        fs.writeFileSync(
          `${capture}.template.json`,
          JSON.stringify(serverless.service.provider.compiledCloudFormationTemplate),
        ),
    };
    let wrapped = 0;
    for (const [event, entries] of Object.entries(serverless.pluginManager.hooks)) {
      for (const entry of entries.filter((candidate) => candidate.pluginName === PLUGIN)) {
        const hook = entry.hook;
        wrapped += 1;
        entry.hook = async (...args) => {
          if (capture) for (const what of CAPTURED[event] ?? []) captures[what]();
          const start = now();
          try {
            return await hook(...args);
          } finally {
            hooks[event] = since(start, hooks[event]);
          }
        };
      }
    }
    if (wrapped === 0) throw new Error(`bench probe: no hook of ${PLUGIN} found; list the probe after the plugin`);
    if (out) process.on('exit', () => fs.writeFileSync(out, JSON.stringify({ hooks, load: globalThis[LOAD] ?? {} })));
    this.hooks = {};
  }
}

module.exports = TrafficShiftBenchProbe;
