/**
 * The real `serverless` CLI of node_modules (3.40.0), spawned as users run it, in a copy of a fixture (by default
 * test/fixtures/e2e) that installs the plugin as a package (node_modules/serverless-traffic-shift → this repository,
 * whose dist/ must be built). Output is captured as printed; `normalise` replaces only what varies from run to run:
 * clock times and durations (the local AWS runs on an accelerated clock started at test time).
 */
import { spawn, type ChildProcess } from 'child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SERVERLESS = path.join(REPO_ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A copy of a fixture service (test/fixtures/e2e unless told), with the plugin installed from this repository and
 * the packages named in `packages` from this repository's node_modules (e.g. a plugin the service used before).
 */
export function serviceCopy(
  fixture = 'e2e',
  packages: readonly string[] = [],
): { dir: string; home: string; remove(): void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'traffic-e2e-'));
  const dir = path.join(root, 'svc');
  cpSync(path.join(REPO_ROOT, 'test', 'fixtures', fixture), dir, { recursive: true });
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(REPO_ROOT, path.join(dir, 'node_modules', 'serverless-traffic-shift'), 'dir');
  for (const name of packages)
    symlinkSync(path.join(REPO_ROOT, 'node_modules', name), path.join(dir, 'node_modules', name), 'dir');
  const home = path.join(root, 'home');
  mkdirSync(home);
  return { dir, home, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface Spawned {
  child: ChildProcess;
  /** Everything printed so far, both streams interleaved as they arrived. */
  output(): string;
  /** Resolves when the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<Run>;
}

/** The AWS SDK's support notice on Node.js before 22, once per process, and Node's hint after a first warning. */
const SDK_NODE_NOTICE =
  /\(node:\d+\) Warning: NodeVersionSupportWarning: [\s\S]*?More information can be found at: \S+\n(?:\(Use `node --trace-warnings[^\n]*\n)?/;

export function spawnSls(args: string[], options: { cwd: string; home: string; env: Record<string, string> }): Spawned {
  // Nothing of the machine's AWS setup may reach the CLI.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('SLS_') && k !== 'NODE_OPTIONS'),
  ) as Record<string, string>;
  const child = spawn(process.execPath, [SERVERLESS, ...args], {
    cwd: options.cwd,
    env: {
      ...base,
      HOME: options.home,
      CI: '1',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      FORCE_COLOR: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let both = '';
  const waiters: { pattern: RegExp; resolve(): void }[] = [];
  const check = (): void => {
    for (const w of [...waiters])
      if (w.pattern.test(both)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    both += d.toString();
    check();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    both += d.toString();
    check();
  });
  const done = new Promise<Run>((resolve, reject) =>
    child.on('close', (status) => {
      // On Node.js 20 the AWS SDK's notice (docs/compatibility.md) is printed as users see it; it is taken out here, and
      // any other warning of Node.js fails the test.
      const shown = stderr.replace(SDK_NODE_NOTICE, '');
      const warning = /^\(node:\d+\) .*$/m.exec(shown);
      if (warning) reject(new Error(`serverless ${args.join(' ')} printed a warning of Node.js: ${warning[0]}`));
      else resolve({ status, stdout, stderr: shown });
    }),
  );
  return {
    child,
    output: () => both,
    waitFor: (pattern, timeoutMs = 60000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms in:\n${both}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        check();
      }),
    done,
  };
}

export function sls(args: string[], options: { cwd: string; home: string; env: Record<string, string> }): Promise<Run> {
  return spawnSls(args, options).done;
}

/** The live view's lines and the plugin's other deploy-time notices, as printed on stderr. */
export const trafficLines = (run: Run): string =>
  run.stderr
    .split('\n')
    .filter((l) => l.startsWith('[traffic] '))
    .join('\n');

/** Clock times and durations replaced by placeholders; everything else as printed. */
export function normalise(text: string): string {
  return text
    .replace(/\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\b/g, 'YYYY-MM-DD HH:MM:SS UTC')
    .replace(/\b\d\d:\d\d:\d\d UTC\b/g, 'HH:MM:SS UTC')
    .replace(/\b\d+h \d\dm\b|\b\d+m \d\ds\b|\b\d+s\b/g, '<duration>');
}
