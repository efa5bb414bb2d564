// The AWS SDK's notice on Node.js 20 (docs/compatibility.md) would print once per test file; the CLI the end-to-end
// tests spawn gets none of these AWS_ variables, prints it as users see it, and test/e2e/cli.ts accounts for it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 120000,
};
