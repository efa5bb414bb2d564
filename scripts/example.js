#!/usr/bin/env node
/**
 * `npm run example`: runs the real Serverless Framework (this repository's devDependency) in example-service/ to
 * package it for prod and print the traffic plan: `serverless traffic plan --stage prod`. No AWS calls, no
 * credentials needed. Extra arguments are passed on: `npm run example -- --stage dev` shows the plan for dev.
 *
 * The package script builds first (`npm run build && node scripts/example.js`): the example loads the plugin from
 * dist/ through the repository's package.json `main`.
 */
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const serviceDir = path.join(root, 'example-service');
// What node_modules/.bin/serverless links to, run with this node so it works the same on every platform.
const serverlessBin = path.join(root, 'node_modules', 'serverless', 'bin', 'serverless.js');

function fail(message) {
  console.error(`example: ${message}`);
  process.exit(1);
}

if (!fs.existsSync(serverlessBin)) fail(`${path.relative(root, serverlessBin)} is missing: run "npm ci" first.`);
if (!fs.existsSync(path.join(root, 'dist', 'index.js')))
  fail('dist/index.js is missing: run "npm run build" first (npm run example does).');

const extra = process.argv.slice(2);
const hasStage = extra.some((arg) => arg === '--stage' || arg === '-s' || arg.startsWith('--stage='));
const args = ['traffic', 'plan', ...(hasStage ? [] : ['--stage', 'prod']), ...extra];

console.error(`> serverless ${args.join(' ')}   (in ${path.relative(process.cwd(), serviceDir) || '.'})`);
console.error(
  "  (example-service runs on nodejs22.x, newer than Serverless Framework 3.40's schema: its runtime warning is expected)",
);
const child = spawn(process.execPath, [serverlessBin, ...args], {
  cwd: serviceDir,
  stdio: 'inherit',
  // The framework's usage telemetry is a network call: not wanted from an example run (CI, offline machines).
  env: { SLS_TELEMETRY_DISABLED: '1', ...process.env },
});

const forward = (signal) => () => child.kill(signal);
process.on('SIGINT', forward('SIGINT'));
process.on('SIGTERM', forward('SIGTERM'));

child.on('error', (error) => fail(`could not start serverless: ${error.message}`));
child.on('exit', (code, signal) => {
  if (signal) fail(`serverless was stopped by ${signal}`);
  if (code !== 0) console.error(`example: serverless exited with code ${code}`);
  process.exit(code === null ? 1 : code);
});
