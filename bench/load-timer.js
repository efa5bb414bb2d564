/**
 * Preloaded (`node --require`) into the bench's `serverless package` runs: times how long requiring the plugin under
 * test takes and how long its constructor runs, inside the real process, as the framework loads it. The bench lists
 * the plugin by its absolute path, and the one whose file resolves to TRAFFIC_SHIFT_BENCH_ENTRY is timed; the class it
 * gets back is wrapped so that constructing it is timed too (`instanceof`, the class name and static properties pass through). probe.js
 * writes the figures out with the hook timings.
 */
'use strict';

const Module = require('module');
const path = require('path');

const ENTRY = process.env.TRAFFIC_SHIFT_BENCH_ENTRY;
const KEY = Symbol.for('serverless-traffic-shift.bench.load');
const load = (globalThis[KEY] = {});

if (ENTRY) {
  const originalLoad = Module._load;
  const isEntry = (request, parent, isMain) => {
    if (!path.isAbsolute(request)) return false;
    try {
      return Module._resolveFilename(request, parent, isMain) === ENTRY;
    } catch {
      return false; // the load itself says why
    }
  };
  Module._load = function timedLoad(request, parent, isMain) {
    if (load.requireMs !== undefined || !isEntry(request, parent, isMain))
      return originalLoad.call(this, request, parent, isMain);
    const start = process.hrtime.bigint();
    const exported = originalLoad.call(this, request, parent, isMain);
    load.requireMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (typeof exported !== 'function') return exported;
    return new Proxy(exported, {
      construct(target, args, newTarget) {
        const begin = process.hrtime.bigint();
        try {
          return Reflect.construct(target, args, newTarget);
        } finally {
          load.constructMs = Number(process.hrtime.bigint() - begin) / 1e6;
        }
      },
    });
  };
}
