/**
 * How `traffic plan` packages: as it comes on v3; on v4 (whose package plugin looks up the deployment bucket in AWS)
 * without that lookup when there are no credentials, saying so. Framework fakes; the real v4 engine runs the same in
 * test/integration/compat.test.ts.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import type { Serverless } from '../../src/framework';
import type { Logger } from '../../src/log';
import { packageForPlan } from '../../src/package-for-plan';

/** v4's package plugin: looks the bucket up in AWS unless it holds a name (lib/plugins/aws/lib/set-bucket-name.js). */
class AwsPackage {
  bucketName?: string;
  async setBucketName(): Promise<void> {
    if (!this.bucketName) throw new Error('DescribeStackResource: AWS credentials missing');
  }
}

function framework(plugins: unknown[], getCredentials: () => unknown) {
  const spawned: string[] = [];
  const notices: string[] = [];
  const serverless = {
    pluginManager: {
      plugins,
      spawn: async (command: string) => {
        spawned.push(command);
        for (const plugin of plugins) if (plugin instanceof AwsPackage) await plugin.setBucketName();
      },
    },
    getProvider: () => ({ getCredentials }),
  } as unknown as Serverless;
  const log = { notice: (m: string) => notices.push(m) } as unknown as Logger;
  return { serverless, log, spawned, notices };
}

describe('packageForPlan', () => {
  it('v4 without credentials: skips the bucket lookup, says so, and packages', async () => {
    const awsPackage = new AwsPackage();
    const { serverless, log, spawned, notices } = framework([awsPackage], () =>
      Promise.reject(new Error('AWS credentials missing or invalid.')),
    );
    await packageForPlan(serverless, log);
    expect(spawned).toEqual(['package']);
    expect(awsPackage.bucketName).toBe('deployment-bucket-not-looked-up-for-the-plan');
    expect(notices).toEqual([
      'serverless-traffic-shift: no AWS credentials: planned without the deployment bucket lookup that Serverless Framework v4 makes while packaging. The files in .serverless/ serve this plan only: run "serverless package" before deploying them.',
    ]);
    // docs/commands.md quotes it word for word.
    expect(readFileSync(path.join(__dirname, '..', '..', 'docs', 'commands.md'), 'utf8')).toContain(
      `\`${notices[0] as string}\``,
    );
  });

  it('v4 with credentials: the framework looks the bucket up as for sls package', async () => {
    const awsPackage = new AwsPackage();
    const { serverless, log, spawned, notices } = framework([awsPackage], () =>
      Promise.resolve({ accessKeyId: 'AKID', secretAccessKey: 's' }),
    );
    await expect(packageForPlan(serverless, log)).rejects.toThrow('DescribeStackResource');
    expect(spawned).toEqual(['package']);
    expect(awsPackage.bucketName).toBeUndefined();
    expect(notices).toEqual([]);
  });

  it('v3: no package plugin looks up a bucket; credentials are not even asked for', async () => {
    const getCredentials = jest.fn();
    const { serverless, log, spawned, notices } = framework([{ hooks: {} }], getCredentials);
    await packageForPlan(serverless, log);
    expect(spawned).toEqual(['package']);
    expect(getCredentials).not.toHaveBeenCalled();
    expect(notices).toEqual([]);
  });
});
