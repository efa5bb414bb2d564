#!/usr/bin/env node
/**
 * `npm run build`: dist/ from an empty directory — the TypeScript of src/ compiled by tsc (tsconfig.build.json), and
 * the code that runs inside Lambda (src/lambda/*.js) with its comments and layout removed by esbuild. That code is
 * inlined into every template that needs it (`ZipFile`), so what it weighs is paid in each stack; names, strings
 * and statements are kept as written, so an error in a user's logs still reads as the source does. Last, the settings
 * schema compiled into standalone validation code (settings-validator.js).
 */
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const lambdaSource = path.join(root, 'src', 'lambda');

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
for (const file of fs.readdirSync(lambdaSource).filter((f) => f.endsWith('.js'))) {
  const source = fs.readFileSync(path.join(lambdaSource, file), 'utf8');
  const { code } = esbuild.transformSync(source, {
    loader: 'js',
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    minifyWhitespace: true,
    legalComments: 'none',
    banner: `// serverless-traffic-shift: ${file}, comments and layout removed`,
  });
  fs.writeFileSync(path.join(dist, 'lambda', file), code);
  // Standard error: `npm pack --json` runs this build (prepare) and its standard output must stay JSON.
  console.error(`dist/lambda/${file}: ${source.length} → ${code.length} bytes`);
}
require('./settings-validator');
console.error('dist/config/settings-validator.js: the settings schema, compiled');
