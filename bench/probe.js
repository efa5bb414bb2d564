/**
 * A bench-only Serverless plugin, listed after serverless-traffic-shift: it wraps that plugin's entries in the
 * framework's hook table with timers, so the bench measures exactly the plugin's own hooks inside a real
 * `serverless package`, including a hook that throws. Timings go to the file in TRAFFIC_SHIFT_BENCH_OUT when the
 * process exits. With TRAFFIC_SHIFT_BENCH_CAPTURE set, it also writes what the plugin receives (outside the timed
 * part): the service description as the plugin builds it, and the compiled template its transform hook gets.
 */
'use strict';

const fs = require('fs');

const PLUGIN = 'TrafficShiftPlugin';
const HOOKS = {
  prepare: 'before:package:compileFunctions',
  transform: 'after:aws:package:finalize:mergeCustomProviderResources',
};

/** What the plugin's describeService() reads from the framework (src/index.ts), from the framework's public API. */
function describeService(serverless) {
  const { service } = serverless;
  const provider = serverless.getProvider('aws');
  const functions = {};
  for (const name of service.getAllFunctions()) {
    const fn = service.getFunction(name);
    functions[name] = {
      settings: fn.deploymentSettings,
      logicalId: provider.naming.getLambdaLogicalId(name),
      normalizedName: provider.naming.getNormalizedFunctionName(name),
    };
  }
  return {
    stage: provider.getStage(),
    versionFunctions: service.provider.versionFunctions !== false,
    defaults: service.custom?.deploymentSettings,
    functions,
  };
}

class TrafficShiftBenchProbe {
  constructor(serverless) {
    const out = process.env.TRAFFIC_SHIFT_BENCH_OUT;
    const capture = process.env.TRAFFIC_SHIFT_BENCH_CAPTURE;
    const timings = {};
    const captures = {
      prepare: () => fs.writeFileSync(`${capture}.service.json`, JSON.stringify(describeService(serverless))),
      transform: () =>
        fs.writeFileSync(
          `${capture}.template.json`,
          JSON.stringify(serverless.service.provider.compiledCloudFormationTemplate),
        ),
    };
    for (const [name, event] of Object.entries(HOOKS)) {
      const entries = (serverless.pluginManager.hooks[event] ?? []).filter((entry) => entry.pluginName === PLUGIN);
      if (entries.length !== 1)
        throw new Error(
          `bench probe: expected one ${PLUGIN} hook for ${event}, found ${entries.length}; list the probe after the plugin`,
        );
      const [entry] = entries;
      const hook = entry.hook;
      entry.hook = async (...args) => {
        if (capture) captures[name]();
        const start = process.hrtime.bigint();
        try {
          return await hook(...args);
        } finally {
          timings[`${name}Ms`] = Number(process.hrtime.bigint() - start) / 1e6;
        }
      };
    }
    if (out) process.on('exit', () => fs.writeFileSync(out, JSON.stringify(timings)));
    this.hooks = {};
  }
}

module.exports = TrafficShiftBenchProbe;
