/**
 * Preloaded (`node --require`) into the bench's `serverless package` runs: times requiring the plugin under test and
 * running its constructor (wall and CPU time, clock.js) inside the real process, as the framework loads it. The bench
 * lists the plugin by its absolute path; the request that resolves to TRAFFIC_SHIFT_BENCH_ENTRY is timed, and the
 * class it returns is wrapped so that constructing it is timed too (`instanceof`, the class name and its static
 * properties pass through). probe.js writes the figures out with the hook timings.
 */
'use strict';

const Module = require('module');
const path = require('path');
const { now, since } = require('./clock');

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
    if (load.require !== undefined || !isEntry(request, parent, isMain))
      return originalLoad.call(this, request, parent, isMain);
    const start = now();
    const exported = originalLoad.call(this, request, parent, isMain);
    load.require = since(start);
    if (typeof exported !== 'function') return exported;
    return new Proxy(exported, {
      construct(target, args, newTarget) {
        const begin = now();
        try {
          return Reflect.construct(target, args, newTarget);
        } finally {
          load.construct = since(begin);
        }
      },
    });
  };
}
