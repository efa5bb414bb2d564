/**
 * AWS failures as users expect them: each a ServerlessError with a stable code, in one or two lines naming the
 * operation (`lambda:UpdateAlias`), the stack and the region, the likely cause and what to do. No stack trace unless
 * asked for (SLS_DEBUG, --verbose, --debug). The clients of ./aws.ts name the operation on every error they throw
 * (`operationOf`); the traffic commands hand what they throw to `userError`.
 *
 * How long a request may take (./aws.ts, `createClients`): a connection must open within CONNECT_TIMEOUT_MS and an
 * answer arrive within REQUEST_TIMEOUT_MS; the SDK makes MAX_ATTEMPTS attempts with short back-offs, so a command
 * against an endpoint that never answers fails after at most about MAX_ATTEMPTS × (CONNECT + REQUEST) seconds.
 */
import { ServerlessError, type ErrorCode } from '../errors';

export const CONNECT_TIMEOUT_MS = 5000;
export const REQUEST_TIMEOUT_MS = 15000;
export const MAX_ATTEMPTS = 3;

/** Where the command was acting. */
export interface AwsScope {
  stackName: string;
  region: string;
}

const OPERATION = Symbol.for('serverless-traffic-shift.operation');

/** Marks an error with the operation that failed (`codedeploy:StopDeployment`), once. */
export function tagOperation(error: unknown, operation: string): void {
  if (error && typeof error === 'object' && !(OPERATION in error)) {
    Object.defineProperty(error, OPERATION, { value: operation, enumerable: false });
  }
}

export function operationOf(error: unknown): string | undefined {
  return error && typeof error === 'object' ? (error as Record<symbol, string | undefined>)[OPERATION] : undefined;
}

/** `ListStackResourcesCommand` of `CloudFormationClient` → `cloudformation:ListStackResources` (the IAM action). */
export function operationName(clientName: string | undefined, commandName: string | undefined): string {
  const service = (clientName ?? 'aws').replace(/Client$/, '').toLowerCase();
  return `${service}:${(commandName ?? 'request').replace(/Command$/, '')}`;
}

const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);
const CREDENTIAL_NAMES = new Set([
  'CredentialsProviderError',
  'TokenProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'InvalidAccessKeyId',
  'AuthFailure',
]);
const DENIED_NAMES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedException',
]);
const CONCURRENT_NAMES = new Set(['PreconditionFailedException', 'ResourceConflictException']);
const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);

/** True for AWS's "slow down" answers (after the SDK's own retries gave up). */
export function isThrottling(error: unknown): boolean {
  const e = error as ErrorShape | undefined;
  return Boolean(
    e &&
    (THROTTLING_NAMES.has(e.name ?? '') || THROTTLING_NAMES.has(e.code ?? '') || e.$metadata?.httpStatusCode === 429),
  );
}

interface ErrorShape {
  name?: string;
  code?: string;
  message?: string;
  stack?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The SDK wraps what is not an answer of AWS (a refused connection) as `AWS SDK error wrapper for …`, with a cause. */
function unwrap(error: unknown): ErrorShape {
  const e = error as ErrorShape & { cause?: unknown };
  return /^AWS SDK error wrapper/.test(e.message ?? '') && e.cause && typeof e.cause === 'object'
    ? (e.cause as ErrorShape)
    : e;
}

/** The class of an AWS failure, or undefined when the error did not come from a request to AWS. */
export function classify(error: unknown): ErrorCode | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = unwrap(error);
  const name = e.name ?? '';
  const network = new RegExp(`\\b(${[...NETWORK_CODES].join('|')})\\b`);
  if (NETWORK_CODES.has(e.code ?? '') || NETWORK_NAMES.has(name) || network.test(e.message ?? ''))
    return 'TRAFFIC_SHIFT_AWS_UNREACHABLE';
  if (
    CREDENTIAL_NAMES.has(name) ||
    /could not load credentials|credentials .*have no access key/i.test(e.message ?? '')
  )
    return 'TRAFFIC_SHIFT_AWS_CREDENTIALS';
  if (DENIED_NAMES.has(name) || /is not authorized to perform/.test(e.message ?? '')) return 'TRAFFIC_SHIFT_AWS_DENIED';
  if (CONCURRENT_NAMES.has(name)) return 'TRAFFIC_SHIFT_CONCURRENT_CHANGE';
  if (isThrottling(e)) return 'TRAFFIC_SHIFT_AWS_THROTTLED';
  if ((error as ErrorShape).$metadata !== undefined || operationOf(error) !== undefined)
    return 'TRAFFIC_SHIFT_AWS_ERROR';
  return undefined;
}

/** `ExpiredTokenException: The security token included in the request is expired`, on one line. */
function cause(error: ErrorShape): string {
  const message = (error.message ?? '').split('\n')[0]?.trim().replace(/\.$/, '') ?? '';
  const name = error.name && error.name !== 'Error' ? error.name : '';
  return [name, message].filter(Boolean).join(': ') || 'no detail';
}

/**
 * The failure as a user error, or undefined when `error` is not an AWS failure (a ServerlessError, or a defect of
 * the plugin, which the framework shows with its stack trace).
 */
export function awsFailure(error: unknown, scope: AwsScope, debug = false): ServerlessError | undefined {
  if (error instanceof ServerlessError) return undefined;
  const code = classify(error);
  if (!code) return undefined;
  const e = unwrap(error);
  const operation = operationOf(error) ?? 'an AWS request';
  const head = `${operation} failed for stack ${scope.stackName} in ${scope.region}`;
  const action = /is not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(e.message ?? '')?.[1] ?? operation;
  const lines: Record<ErrorCode, [string, string]> = {
    TRAFFIC_SHIFT_AWS_UNREACHABLE: [
      `${head}: AWS could not be reached (${cause(e)}).`,
      `Check the network connection (and proxy settings) and the region (--region). A request gives up after ${CONNECT_TIMEOUT_MS / 1000}s without a connection or ${REQUEST_TIMEOUT_MS / 1000}s without an answer, ${MAX_ATTEMPTS} attempts.`,
    ],
    TRAFFIC_SHIFT_AWS_CREDENTIALS: [
      `${head}: AWS did not accept the credentials (${cause(e)}).`,
      'Renew them (a new session, aws sso login) or choose others with --aws-profile or the AWS_* variables.',
    ],
    TRAFFIC_SHIFT_AWS_DENIED: [
      `${head}: the identity is not allowed to call it (${cause(e)}).`,
      `Allow ${action} to the identity that runs the command (docs/commands.md lists every action the traffic commands use).`,
    ],
    TRAFFIC_SHIFT_CONCURRENT_CHANGE: [
      `${head}: the resource changed while the command ran (${cause(e)}).`,
      'Something else (a deploy, CodeDeploy, another traffic command) changed it at the same time: check with "serverless traffic status" and run the command again.',
    ],
    TRAFFIC_SHIFT_AWS_THROTTLED: [
      `${head}: AWS throttled the request (${cause(e)}).`,
      'Run the command again in a minute.',
    ],
    TRAFFIC_SHIFT_AWS_ERROR: [`${head}: ${cause(e)}.`, ''],
  } as Record<ErrorCode, [string, string]>;
  const [first, second] = lines[code];
  const failure = new ServerlessError([first, second].filter(Boolean).join('\n'), code);
  // After the code, which ends the message: the trace of the cause, when debugging.
  if (debug && e.stack) failure.message += `\n\n${e.stack}`;
  Object.defineProperty(failure, 'cause', { value: error, enumerable: false });
  return failure;
}

/** What a traffic command throws, as the user should see it: AWS failures translated, anything else unchanged. */
export function userError(error: unknown, scope: AwsScope, debug = false): unknown {
  return awsFailure(error, scope, debug) ?? error;
}
