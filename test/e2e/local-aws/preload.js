'use strict';
/**
 * Test-only preload of the spawned `serverless` CLI (NODE_OPTIONS=--require): points the framework's AWS SDK v2 at
 * the local AWS (LOCAL_AWS_ENDPOINT; SDK v2 ignores AWS_ENDPOINT_URL, which the plugin's SDK v3 clients honour), and
 * puts the plugin's clock (dist/deploy/clock.js) on the accelerated clock of the local AWS (LOCAL_AWS_CLOCK), so
 * that the live view polls and reckons times as CodeDeploy's stand-in runs them. Nothing else of the CLI changes.
 */
const Module = require('module');
const path = require('path');

const endpoint = process.env.LOCAL_AWS_ENDPOINT;
const anchors = process.env.LOCAL_AWS_CLOCK ? JSON.parse(process.env.LOCAL_AWS_CLOCK) : undefined;

if (endpoint) {
  const framework = path.dirname(require.resolve('serverless/package.json', { paths: [process.cwd(), __dirname] }));
  const sdk = (request) => require(require.resolve(request, { paths: [framework] }));
  sdk('aws-sdk/lib/maintenance_mode_message').suppress = true;
  sdk('aws-sdk').config.update({ endpoint, s3ForcePathStyle: true });
}

if (anchors) {
  const now = () => new Date(anchors.virtualStart + (Date.now() - anchors.realStart) * anchors.speed);
  const sleep = (ms, signal) =>
    new Promise((resolve) => {
      if (signal && signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        if (signal) signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms / anchors.speed);
      timer.unref();
      if (signal) signal.addEventListener('abort', done);
    });
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const loaded = load.call(this, request, parent, isMain);
    // Only the clock module is looked into: reading a property another module (one still loading in a require
    // cycle) lacks makes Node.js print a warning.
    if (
      parent &&
      /[\\/]dist[\\/]deploy[\\/]/.test(parent.filename) &&
      /(^|[\\/])clock(\.js)?$/.test(request) &&
      loaded &&
      loaded.systemClock
    ) {
      loaded.systemClock.now = now;
      loaded.systemClock.sleep = sleep;
    }
    return loaded;
  };
}
