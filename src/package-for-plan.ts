/**
 * How `serverless traffic plan` packages the service. Serverless Framework v3 packages without AWS. v4 does not: its
 * package plugin looks up the deployment bucket in AWS first (`package:initialize`: CloudFormation
 * DescribeStackResource, and the account's global deployment bucket when the stack has none — which v4 creates if it
 * does not exist yet). The plan needs no bucket, so without AWS credentials the plan skips that lookup: it gives the
 * package plugin a bucket name, as the plugin holds one once it looked it up (the name is never written: the template
 * refers to the stack's bucket), and says so. With credentials the framework looks the bucket up as `sls package`
 * does.
 */
import type { AwsProvider, Serverless } from './framework';
import type { Logger } from './log';

/** Never written anywhere: the lookup is skipped when the package plugin already holds a name. */
const UNRESOLVED_BUCKET = 'deployment-bucket-not-looked-up-for-the-plan';

/** v4's package plugin (lib/plugins/aws/package/index.js), which looks the bucket up unless it holds a name. */
interface BucketLookingPackager {
  setBucketName(): Promise<unknown>;
  bucketName?: string | null;
}

export async function packageForPlan(serverless: Serverless, log: Logger): Promise<void> {
  const packager = (serverless.pluginManager.plugins ?? []).find(looksUpBucket);
  if (packager && !packager.bucketName && !(await hasCredentials(serverless.getProvider('aws')))) {
    packager.bucketName = UNRESOLVED_BUCKET;
    log.notice(
      'serverless-traffic-shift: no AWS credentials: planned without the deployment bucket lookup that Serverless Framework v4 ' +
        'makes while packaging. The files in .serverless/ serve this plan only: run "serverless package" before deploying them.',
    );
  }
  await serverless.pluginManager.spawn('package');
}

function looksUpBucket(plugin: unknown): plugin is BucketLookingPackager {
  return (
    typeof plugin === 'object' &&
    plugin !== null &&
    plugin.constructor?.name === 'AwsPackage' &&
    typeof (plugin as { setBucketName?: unknown }).setBucketName === 'function'
  );
}

/** v4: credentials the framework resolved (a promise); any failure means none. */
async function hasCredentials(provider: AwsProvider): Promise<boolean> {
  try {
    const resolved = (await provider.getCredentials()) as { accessKeyId?: unknown } | undefined;
    return typeof resolved?.accessKeyId === 'string' && resolved.accessKeyId !== '';
  } catch {
    return false;
  }
}
