/**
 * The README is the reference users read: every setting the plugin accepts is in its configuration table, every error
 * code the plugin can throw is in its errors table, and every traffic command is described.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { FUNCTION_KEYS, SERVICE_ONLY_KEYS } from '../../src/config/schema';
import { trafficCommands } from '../../src/deploy';

const ROOT = path.resolve(__dirname, '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const file = path.join(dir, entry);
    return statSync(file).isDirectory() ? sources(file) : /\.(ts|js)$/.test(entry) ? [file] : [];
  });
}

/** Rows of the README table whose first cell is a key in backquotes. */
const tableKeys = (text: string): string[] => [...text.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1] as string);

describe('README', () => {
  it('lists every deploymentSettings key in the configuration table', () => {
    const configuration = README.slice(README.indexOf('## Configuration'), README.indexOf('## Strategies'));
    expect(tableKeys(configuration).sort()).toEqual([...FUNCTION_KEYS, ...SERVICE_ONLY_KEYS].sort());
  });

  it('lists every error code the plugin throws in the errors table', () => {
    // The codes are the members of the code union: `export type ErrorCode = | '…' | '…';`.
    const unions = [path.join(ROOT, 'src', 'errors.ts')].map((file) => {
      const text = readFileSync(file, 'utf8');
      return text.slice(text.indexOf('export type'), text.indexOf(';', text.indexOf('export type')));
    });
    const thrown = new Set(
      unions.flatMap((union) => [...union.matchAll(/'(TRAFFIC_SHIFT_[A-Z_]+)'/g)].map((m) => m[1] as string)),
    );
    // Each member is thrown somewhere in src/.
    const code = sources(path.join(ROOT, 'src'))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    for (const member of thrown) expect(code.split(`'${member}'`).length).toBeGreaterThan(2);
    const errors = README.slice(README.indexOf('## Errors'), README.indexOf('## Migrating'));
    const documented = new Set([...errors.matchAll(/^\| `(TRAFFIC_SHIFT_[A-Z_]+)` \|/gm)].map((m) => m[1] as string));
    expect(thrown.size).toBeGreaterThan(10);
    expect([...thrown].filter((code) => !documented.has(code))).toEqual([]);
    expect([...documented].filter((code) => !thrown.has(code))).toEqual([]);
  });

  it('describes every traffic command, with plan', () => {
    for (const command of ['plan', ...Object.keys(trafficCommands)])
      expect(README).toContain(`serverless traffic ${command}`);
  });
});
