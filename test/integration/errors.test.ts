/**
 * Invalid settings stop `serverless package` with the plugin's coded error, naming the function and the key, before
 * any template is written (fixtures `error-*`; the bad value is always on function `api`, beside a valid function).
 * Fixtures whose value the framework's schema check would reject first use `configValidationMode: warn`, so it is the
 * plugin's own check that has to stop them.
 */
import * as path from 'path';
import { packageFixtureExpectingFailure, REPO_ROOT, spawnPackage } from './helpers';

// The class the plugin throws, from the build the fixtures load (the framework runs in this test's module registry).
const { ServerlessError: PluginError } = require(path.join(REPO_ROOT, 'dist', 'errors')) as {
  ServerlessError: abstract new (...args: never[]) => Error;
};

interface ErrorCase {
  fixture: string;
  key: string;
  what: string;
  /** Set while the plugin does not yet reject the case: the test is then expected to fail (`it.failing`). */
  knownBug?: string;
}

const CASES: ErrorCase[] = [
  { fixture: 'error-unknown-type', key: 'type', what: 'an unknown type (Canary10PercentSometimes)' },
  { fixture: 'error-canary-100', key: 'type', what: 'a custom canary of 100%' },
  { fixture: 'error-linear-too-long', key: 'type', what: 'a custom linear lasting 2970 minutes (over 2880)' },
  { fixture: 'error-alias-name', key: 'alias', what: 'the alias name "live v1"' },
  { fixture: 'error-stages-string', key: 'stages', what: 'stages written as a string' },
  { fixture: 'error-unknown-key', key: 'typo', what: 'an unknown key (typo: 1)' },
  { fixture: 'error-role-arn', key: 'codeDeployRole', what: 'a codeDeployRole that is not a role ARN' },
  {
    fixture: 'error-boundary-per-function',
    key: 'codeDeployRolePermissionsBoundary',
    what: 'a permissions boundary set on a function',
  },
];

describe('invalid settings fail the packaging (in-process)', () => {
  for (const { fixture, key, what, knownBug } of CASES) {
    const title = `${fixture}: ${what} fails with the plugin's error naming function "api" and ${key}, and writes no template`;
    (knownBug ? it.failing : it)(knownBug ? `${title} [KNOWN PLUGIN BUG: ${knownBug}]` : title, async () => {
      const { error, templateWritten } = await packageFixtureExpectingFailure(fixture);
      expect(error).toBeInstanceOf(PluginError);
      expect(error.name).toBe('ServerlessError');
      expect(error.code).toMatch(/^TRAFFIC_SHIFT_/);
      expect(error.message).toContain(`functions.api.deploymentSettings.${key}`);
      expect(error.message).toContain('function "api"');
      expect(templateWritten).toBe(false);
    });
  }
});

describe('invalid settings fail the packaging (serverless executable)', () => {
  it.each([
    ['error-unknown-type', 'type'],
    ['error-unknown-key', 'typo'],
  ])('%s: exits non-zero, prints the message naming %s, and writes no template file', async (fixture, key) => {
    const { exitCode, stdout, stderr, templateFile } = await spawnPackage(fixture);
    expect(exitCode).not.toBe(0);
    expect(`${stdout}\n${stderr}`).toContain(`functions.api.deploymentSettings.${key}`);
    expect(templateFile).toBeUndefined();
  });
});
