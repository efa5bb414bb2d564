/**
 * The docs are the reference users read: every setting the plugin accepts is in the configuration table
 * (docs/configuration.md), every error code the plugin can throw in the errors table (docs/errors.md), every traffic
 * command is described (docs/commands.md), every page and section the docs link to exists, and every file they name
 * in backquotes is in the repository, and the README's permissions for the plugin's own calls are the calls
 * src/deploy/aws.ts (the one module that calls AWS) makes.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { FUNCTION_KEYS, SERVICE_ONLY_KEYS } from '../../src/config/schema';
import { trafficCommands } from '../../src/deploy';

const ROOT = path.resolve(__dirname, '..', '..');
const doc = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const file = path.join(dir, entry);
    return statSync(file).isDirectory() ? sources(file) : /\.(ts|js)$/.test(entry) ? [file] : [];
  });
}

/** Rows of the README table whose first cell is a key in backquotes. */
const tableKeys = (text: string): string[] => [...text.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1] as string);

describe('docs', () => {
  it('lists every deploymentSettings key in the configuration table', () => {
    expect(tableKeys(doc('docs/configuration.md')).sort()).toEqual([...FUNCTION_KEYS, ...SERVICE_ONLY_KEYS].sort());
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
    const errors = doc('docs/errors.md');
    const documented = new Set([...errors.matchAll(/^\| `(TRAFFIC_SHIFT_[A-Z_]+)` \|/gm)].map((m) => m[1] as string));
    expect(thrown.size).toBeGreaterThan(10);
    expect([...thrown].filter((code) => !documented.has(code))).toEqual([]);
    expect([...documented].filter((code) => !thrown.has(code))).toEqual([]);
  });

  it('describes every traffic command, with plan', () => {
    for (const command of ['plan', ...Object.keys(trafficCommands)])
      expect(doc('docs/commands.md')).toContain(`serverless traffic ${command}`);
  });

  it('links only to pages and sections that exist', () => {
    const pages = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)];
    const anchors = (text: string): Set<string> =>
      new Set(
        [...text.matchAll(/^#+ (.*)$/gm)].map((m) =>
          (m[1] as string)
            .toLowerCase()
            .replace(/[^a-z0-9 _-]/g, '')
            .replace(/ /g, '-'),
        ),
      );
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, target = '', anchor] of doc(page).matchAll(/\]\(([^)#\s]*)(?:#([^)\s]+))?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const file = target === '' ? page : path.posix.join(path.posix.dirname(page), target);
        if (!pages.includes(file) && !['CHANGELOG.md', 'LICENSE'].includes(file)) broken.push(`${page} → ${target}`);
        else if (anchor && file.endsWith('.md') && !anchors(doc(file)).has(anchor))
          broken.push(`${page} → ${target}#${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('asks in the README for exactly the permissions of the calls the plugin makes', () => {
    // `service:Action` sets the service for the bare `Action`s after it, as the table writes them.
    const actions = (cell: string): string[] => {
      let service = '';
      return [...cell.matchAll(/`([a-z0-9]+:)?([A-Z][A-Za-z]+)`/g)].map(([, prefix, action]) => {
        if (prefix) service = prefix;
        return `${service}${action}`;
      });
    };
    const row = (start: string): string[] => {
      const line = doc('README.md')
        .split('\n')
        .find((l) => l.startsWith(`| ${start}`));
      return actions((line ?? '').split(' | ')[1] ?? '');
    };
    const asked = [...row('the live view'), ...row('`traffic shift`')];
    const aws = readFileSync(path.join(ROOT, 'src', 'deploy', 'aws.ts'), 'utf8');
    const made = [...aws.matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-([a-z]+)'/g)].flatMap(
      ([, names = '', client]) =>
        [...names.matchAll(/^\s*([A-Za-z]+)Command,$/gm)].map(([, action]) => `${client}:${action}`),
    );
    expect(made.length).toBeGreaterThan(10);
    expect(new Set(asked)).toEqual(new Set(made));
  });

  it('names only files that exist', () => {
    // Every file of the repository but the installed and built ones, by path from the root.
    const tree = (dir: string): string[] =>
      readdirSync(path.join(ROOT, dir)).flatMap((entry) => {
        if (['node_modules', '.git', 'dist', 'coverage'].includes(entry)) return [];
        const file = path.posix.join(dir, entry);
        return statSync(path.join(ROOT, file)).isDirectory() ? tree(file) : [file];
      });
    const files = tree('.').map((f) => f.replace(/^\.\//, ''));
    const names = new Set(files.map((f) => path.posix.basename(f)));
    const pages = ['README.md', 'CHANGELOG.md', ...readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)];
    const missing: string[] = [];
    for (const page of pages)
      for (const [, name = ''] of doc(page).matchAll(/`([\w.@/-]+\.(?:ts|js|mjs|cjs|json|ya?ml|md|sh))`/g)) {
        // A path names that file (or one ending in it); a bare name any file of that name.
        const found = name.includes('/') ? files.some((f) => f === name || f.endsWith(`/${name}`)) : names.has(name);
        if (!found) missing.push(`${page}: ${name}`);
      }
    expect(missing).toEqual([]);
  });
});
