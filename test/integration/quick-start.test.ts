/**
 * The README's quick start is a real service (test/fixtures/quick-start): the README shows its configuration, and the
 * plan it shows is what `serverless traffic plan --stage prod` prints for it, line for line. The fixture names the
 * plugin as users do (`serverless-traffic-shift`), installed as a package that loads this repository's build.
 * docs/commands.md's example plan is what `npm run example` prints: the whole of `serverless traffic plan --stage
 * prod` for example-service.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { fixtureDir, REPO_ROOT, runServerlessCli, spawnServerless } from './helpers';

const FIXTURE = 'quick-start';
const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const quickStart = README.slice(
  README.indexOf('## Quick start'),
  README.indexOf('\n## ', README.indexOf('## Quick start') + 1),
);
/** The fenced blocks of the quick start written in `language` ('' for a block without one). */
function blocks(language: string): string[] {
  const found: string[] = [];
  let open: { language: string; lines: string[] } | undefined;
  for (const line of quickStart.split('\n')) {
    const fence = /^```(\w*)$/.exec(line);
    if (fence && !open) open = { language: fence[1] as string, lines: [] };
    else if (fence && open) {
      if (open.language === language) found.push(open.lines.join('\n') + '\n');
      open = undefined;
    } else open?.lines.push(line);
  }
  return found;
}

// The plugin as an installed package would be: node_modules/serverless-traffic-shift, here re-exporting this
// repository's build (a link to the repository itself would lead the framework's packaging into a loop).
beforeAll(() => {
  const installed = path.join(fixtureDir(FIXTURE), 'node_modules', 'serverless-traffic-shift');
  mkdirSync(installed, { recursive: true });
  writeFileSync(
    path.join(installed, 'package.json'),
    JSON.stringify({ name: 'serverless-traffic-shift', main: 'index.js' }),
  );
  writeFileSync(
    path.join(installed, 'index.js'),
    `module.exports = require(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'index.js'))});\n`,
  );
});

describe('README quick start', () => {
  it('shows the configuration of the quick-start service', () => {
    const service = readFileSync(path.join(fixtureDir(FIXTURE), 'serverless.yml'), 'utf8');
    const configuration = service.slice(
      service.indexOf('# --- README quick start ---\n') + 29,
      service.indexOf('# --- end ---'),
    );
    // The README's handlers are users' (api.handler); the fixture's are the provided runtime's bootstrap.
    const [yaml] = blocks('yaml');
    expect(yaml?.replace(/handler: \w+\.handler/g, 'handler: bootstrap')).toBe(configuration);
  });

  it('shows what serverless traffic plan prints for it', async () => {
    const result = await spawnServerless(FIXTURE, ['traffic', 'plan', '--stage', 'prod']);
    expect(result.exitCode).toBe(0);
    const [shown] = blocks('');
    expect(shown).toBeDefined();
    const printed = result.stdout.split('\n');
    const lines = (shown as string).trimEnd().split('\n');
    const start = printed.indexOf(lines[0] as string);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(printed.slice(start, start + lines.length)).toEqual(lines);
  });
});

describe('docs/commands.md', () => {
  it("shows the whole plan serverless traffic plan prints for example-service (npm run example's)", async () => {
    const result = await runServerlessCli(
      ['traffic', 'plan', '--stage', 'prod'],
      path.join(REPO_ROOT, 'example-service'),
    );
    expect(result.exitCode).toBe(0);
    const commands = readFileSync(path.join(REPO_ROOT, 'docs', 'commands.md'), 'utf8');
    const shown = /```\n(Traffic plan for stage "prod"\n[\s\S]*?)```/.exec(commands)?.[1];
    expect(shown).toBe(result.stdout);
  });
});
