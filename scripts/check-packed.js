#!/usr/bin/env node
/**
 * `npm run check:packed` (run by .ci/run): installs the package as users get it — `npm pack`, then `npm install` of
 * the tarball into a fresh service outside the repository — and packages that service with the Serverless Framework
 * of this repository. Fails when the tarball lacks a file the plugin loads, ships a source map or a source file, or
 * the installed plugin does not shift the service's function. Then, for a Serverless Framework v4 user, resolves the
 * same install beside `serverless@^4` (`npm install --dry-run`: npm builds the dependency tree, downloads nothing and
 * runs nothing); fails when npm refuses it (ERESOLVE on the peer dependency).
 */
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const serverlessBin = path.join(root, 'node_modules', 'serverless', 'bin', 'serverless.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'traffic-shift-packed-'));

function fail(message) {
  console.error(`check-packed: ${message}`);
  process.exit(1);
}

try {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
  );
  const files = packed.files.map((f) => f.path);
  console.log(`packed ${packed.filename}: ${files.length} files, ${packed.size} bytes`);
  for (const required of [
    'package.json',
    'dist/index.js',
    'dist/config/settings-validator.js',
    'dist/lambda/traffic-hook.js',
    'dist/lambda/existing-sources-handler.js',
    'LICENSE',
    'README.md',
  ]) {
    if (!files.includes(required)) fail(`the tarball lacks ${required}`);
  }
  const stray = files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/'));
  if (stray.length > 0) fail(`the tarball ships files users cannot use: ${stray.join(', ')}`);

  const service = path.join(work, 'service');
  fs.mkdirSync(service);
  fs.writeFileSync(
    path.join(service, 'package.json'),
    JSON.stringify({ name: 'packed-check', private: true }, null, 2),
  );
  fs.writeFileSync(path.join(service, 'bootstrap'), '#!/bin/sh\n');
  fs.writeFileSync(
    path.join(service, 'serverless.yml'),
    [
      'service: packed-check',
      "frameworkVersion: '3'",
      'configValidationMode: error',
      'plugins: [serverless-traffic-shift]',
      'provider: { name: aws, runtime: provided.al2023, region: us-east-1 }',
      "package: { patterns: ['!**', 'bootstrap'] }",
      'custom: { deploymentSettings: { type: Canary10Percent5Minutes } }',
      'functions:',
      '  api: { handler: bootstrap, events: [{ httpApi: GET /hello }] }',
      '',
    ].join('\n'),
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(work, packed.filename)], {
    cwd: service,
    stdio: 'inherit',
  });
  const env = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', FORCE_COLOR: '0' };
  execFileSync(process.execPath, [serverlessBin, 'package', '--stage', 'prod'], {
    cwd: service,
    env,
    stdio: 'inherit',
  });
  const template = JSON.parse(
    fs.readFileSync(path.join(service, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
  );
  const alias = template.Resources.ApiTrafficShiftAlias;
  if (!alias || !alias.UpdatePolicy || !alias.UpdatePolicy.CodeDeployLambdaAliasUpdate) {
    fail('the installed plugin did not add ApiTrafficShiftAlias with its CodeDeploy update policy');
  }
  console.log('check-packed: the packed plugin installs into a fresh service and shifts its function');

  const v4Service = path.join(work, 'service-v4');
  fs.mkdirSync(v4Service);
  fs.writeFileSync(
    path.join(v4Service, 'package.json'),
    JSON.stringify({ name: 'packed-check-v4', private: true, devDependencies: { serverless: '^4' } }, null, 2),
  );
  try {
    execFileSync(
      'npm',
      ['install', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund', path.join(work, packed.filename)],
      { cwd: v4Service, encoding: 'utf8', stdio: 'pipe' },
    );
  } catch (error) {
    fail(`npm refuses to install the plugin beside serverless@^4:\n${error.stderr || error.message}`);
  }
  console.log('check-packed: npm resolves the packed plugin beside serverless@^4 (Serverless Framework v4)');
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
