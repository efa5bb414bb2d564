/**
 * The plugin entry: what constructing the plugin loads (every `serverless` command pays for it, `sls offline` and
 * `sls invoke local` included), and that every lifecycle event the deploy-time modules handle is registered.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { trafficCommands, trafficHooks } from '../../src/deploy';
import { deployHooks } from '../../src/deploy/deploy-lifecycle';
import type { Serverless } from '../../src/framework';

const ROOT = path.resolve(__dirname, '..', '..');

describe('constructing the plugin', () => {
  it('loads only the entry, the settings schema and its registration, the error class, the command definitions and the logger (no Ajv)', () => {
    // A process of its own, as the framework loads the plugin: the built entry, then the constructor.
    const script = `
      const Plugin = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
      const before = new Set(Object.keys(require.cache));
      new Plugin({
        service: { getAllFunctions: () => [], getFunction: () => ({}), provider: { compiledCloudFormationTemplate: { Resources: {} } } },
        getProvider: () => ({}),
        pluginManager: { spawn: async () => undefined },
      }, {});
      const loaded = Object.keys(require.cache);
      process.stdout.write(JSON.stringify({ loaded, addedByConstructor: loaded.filter((f) => !before.has(f)) }));
    `;
    const { loaded, addedByConstructor } = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }),
    );
    const relative = (loaded as string[]).map((file) => path.relative(path.join(ROOT, 'dist'), file)).sort();
    expect(relative).toEqual([
      'config/register.js',
      'config/schema.js',
      'deploy/index.js',
      'errors.js',
      'index.js',
      'log.js',
      'types/cloudformation.js',
    ]);
    expect(loaded.some((file: string) => file.includes(`${path.sep}ajv${path.sep}`))).toBe(false);
    expect(addedByConstructor).toEqual([]);
  });
});

describe('trafficHooks', () => {
  it('registers every event the deploy lifecycle and the traffic commands handle', () => {
    const input = { serverless: {} as Serverless, options: {}, settings: () => ({ stage: 'dev', functions: [] }) };
    const handled = [
      ...Object.keys(deployHooks(() => ({}) as never)),
      ...Object.keys(trafficCommands).map((name) => `traffic:${name}:${name}`),
    ];
    expect(Object.keys(trafficHooks(input)).sort()).toEqual(handled.sort());
  });
});
