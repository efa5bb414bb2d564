/**
 * The AWS credentials the Serverless Framework resolved for the service, as a credential provider for the plugin's
 * SDK v3 clients: the traffic commands and the live view act as the identity that deploys (`--aws-profile`,
 * `provider.profile`, the AWS_* / AWS_<STAGE>_* variables, and under v4 the credentials its dashboard provides),
 * never as whatever the SDK's default chain finds.
 *
 * The provider's `getCredentials()` has two shapes (../framework.ts):
 * - v3 and osls: synchronous, `{ credentials?: AWS.Credentials }` (SDK v2). Those refresh themselves through
 *   `getPromise()` and carry their expiry; without them the SDK v3 default chain applies, as before.
 * - v4: asynchronous, a promise of flat `{ accessKeyId, secretAccessKey, sessionToken, accountId, ... }` without an
 *   expiry. The promise is awaited when a client first signs a request (never left to reject unobserved: v4 exits on
 *   an unhandled rejection). Temporary credentials (those with a session token) are given an expiry of
 *   `V4_SESSION_REFRESH_MS`, so a rollout that outlasts a role session asks the framework again (v4.9.1 hands back
 *   the credentials it cached; later v4 resolves them again, renewing the session).
 * Whatever fails — a rejected promise, a throw, credentials without a key — becomes `TRAFFIC_SHIFT_AWS_CREDENTIALS`
 * (the code of AWS refusing the credentials, ./aws-errors.ts), naming the cause.
 */
import { ServerlessError } from '../errors';
import type { AwsProvider } from '../framework';
import { errorText, type Credentials } from './aws';

/** How long v4's temporary credentials serve before the framework is asked again (the SDK renews 5 minutes early). */
export const V4_SESSION_REFRESH_MS = 15 * 60_000;

interface Identity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
  accountId?: string;
}

/**
 * The SDK v3 credential provider for what the framework's AWS provider resolved; undefined when v3 resolved none
 * (the SDK's default chain then applies). Calls `getCredentials()` once, now, to tell the shapes apart.
 */
export function credentialsFromProvider(
  provider: Pick<AwsProvider, 'getCredentials'>,
  now: () => number = Date.now,
): Credentials | undefined {
  let first: unknown;
  try {
    first = provider.getCredentials();
  } catch (error) {
    return async () => {
      throw credentialsError(errorText(error));
    };
  }
  if (isThenable(first)) return v4Credentials(provider, Promise.resolve(first), now);
  return credentialsFromFramework((first as { credentials?: unknown } | undefined)?.credentials);
}

/** v4: the framework's promise, awaited on first use; asked again when temporary credentials are due for renewal. */
function v4Credentials(provider: Pick<AwsProvider, 'getCredentials'>, first: Promise<unknown>, now: () => number) {
  // Observed at once: a rejection surfaces when a client first needs the credentials, as the coded error.
  first.catch(() => undefined);
  let pending: Promise<unknown> | undefined = first;
  return async (): Promise<Identity> => {
    const source = pending ?? Promise.resolve().then((): unknown => provider.getCredentials());
    pending = undefined;
    let resolved: unknown;
    try {
      resolved = await source;
    } catch (error) {
      throw credentialsError(errorText(error));
    }
    const flat = (resolved ?? {}) as Partial<Record<keyof Identity, unknown>>;
    if (typeof flat.accessKeyId !== 'string' || !flat.accessKeyId || typeof flat.secretAccessKey !== 'string') {
      throw credentialsError('they have no access key');
    }
    const sessionToken = typeof flat.sessionToken === 'string' && flat.sessionToken ? flat.sessionToken : undefined;
    const expiration =
      flat.expiration instanceof Date
        ? flat.expiration
        : sessionToken
          ? new Date(now() + V4_SESSION_REFRESH_MS)
          : undefined;
    return {
      accessKeyId: flat.accessKeyId,
      secretAccessKey: flat.secretAccessKey,
      ...(sessionToken && { sessionToken }),
      ...(expiration && { expiration }),
      ...(typeof flat.accountId === 'string' && flat.accountId && { accountId: flat.accountId }),
    };
  };
}

interface V2Credentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  expireTime?: Date | null;
  getPromise?: () => Promise<void>;
}

/**
 * v3: the framework's SDK v2 credentials as an SDK v3 credential provider. `getPromise()` refreshes them when they
 * expire (assumed roles, SSO, MFA sessions), so the v3 clients see the same identity as the framework.
 */
export function credentialsFromFramework(credentials: unknown): Credentials | undefined {
  if (!credentials || typeof credentials !== 'object') return undefined;
  const v2 = credentials as V2Credentials;
  return async () => {
    if (typeof v2.getPromise === 'function') {
      try {
        await v2.getPromise();
      } catch (error) {
        throw credentialsError(errorText(error));
      }
    }
    if (!v2.accessKeyId || !v2.secretAccessKey) throw credentialsError('they have no access key');
    return {
      accessKeyId: v2.accessKeyId,
      secretAccessKey: v2.secretAccessKey,
      ...(v2.sessionToken && { sessionToken: v2.sessionToken }),
      ...(v2.expireTime && { expiration: v2.expireTime }),
    };
  };
}

function credentialsError(cause: string): ServerlessError {
  return new ServerlessError(
    `serverless-traffic-shift could not get the AWS credentials the Serverless Framework resolved for this service: ${cause}. ` +
      'The traffic commands and the rollout view act as the identity that deploys (--aws-profile, provider.profile, ' +
      'AWS_<STAGE>_* variables, or the credentials of your Serverless dashboard): check that it is configured and valid.',
    'TRAFFIC_SHIFT_AWS_CREDENTIALS',
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
