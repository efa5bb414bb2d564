/**
 * A local AWS for the end-to-end tests: moto_server (S3, IAM, Lambda with versions and weighted aliases, CloudWatch
 * alarms and metrics, STS) behind one HTTP endpoint on 127.0.0.1 that also answers CloudFormation (./cloudformation.ts) and
 * CodeDeploy (./codedeploy.ts) itself. Requests are told apart by the service in their signature's credential scope
 * (`Credential=<key>/<date>/<region>/<service>/aws4_request`), as AWS's own endpoints are by host name.
 *
 * The spawned CLI reaches it through preload.js (the framework's SDK v2 ignores AWS_ENDPOINT_URL) and
 * AWS_ENDPOINT_URL (the plugin's SDK v3 clients); `cliEnv()` gives both, with the accelerated clock.
 *
 * moto's percentile gap: CloudWatch answers GetMetricData with percentile statistics (the p99 the plugin reads with
 * each version's figures); moto computes none and fails the whole request once data points are in its window. Here
 * the percentile queries are answered with no data point and the rest is moto's own answer (motoAnswer of
 * ../../integration/moto-server.ts, shared with the integration tests), so the p99 is covered by the unit tests
 * only. `nextMetricRead()` resolves once a GetMetricData request that arrived after the call has been answered: a
 * test knows then that a reader has seen the metrics it wrote.
 *
 * Beyond moto, as Lambda does: UpdateAlias with a RevisionId that is not the alias's current one fails with
 * PreconditionFailedException. Test-only failures, chosen by the access key of the request (FAULT_KEYS): expired
 * credentials, an identity without lambda:UpdateAlias and codedeploy:StopDeployment, and a GetAlias answer that
 * is stale by the time of the update (a concurrent change).
 *
 * Hooks: moto runs Lambda code only with docker, so a hook function's behaviour is set per test (`hooks`):
 * report Succeeded (default) or Failed, or hold until the test releases it; either way the report goes through the
 * CodeDeploy API (PutLifecycleEventHookExecutionStatus), as a hook's code would send it.
 */
import * as http from 'http';
import * as net from 'net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import * as path from 'path';
import { motoAnswer, startMoto, MOTO_CREDENTIALS, type MotoServer } from '../../integration/moto-server';
import { IdSource, VirtualClock } from './clock';
import { CfnError, LocalCloudFormation } from './cloudformation';
import { CodeDeployError, CodeDeployStandIn, type HookCall } from './codedeploy';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';

/** Access keys that make the local AWS answer as AWS does in these situations. */
export const FAULT_KEYS = {
  expired: 'AKIDEXPIREDTOKEN',
  readOnly: 'AKIDREADONLYUSER',
  racing: 'AKIDCONCURRENTCHANGE',
} as const;

export type HookOutcome = 'Succeeded' | 'Failed';
export type HookBehaviour = HookOutcome | Promise<HookOutcome>;

export interface LocalAws {
  endpoint: string;
  clock: VirtualClock;
  codeDeploy: CodeDeployStandIn;
  cloudFormation: LocalCloudFormation;
  /** What each hook function reports, by function name (default Succeeded). */
  hooks: Map<string, HookBehaviour>;
  lambda: LambdaClient;
  cloudWatch: CloudWatchClient;
  s3: S3Client;
  /** The environment of a spawned CLI that uses this local AWS. */
  cliEnv(credentials?: { accessKeyId: string; secretAccessKey: string }): Record<string, string>;
  /** Resolves once a GetMetricData request that arrives after this call has been answered. */
  nextMetricRead(): Promise<void>;
  /** Errors of the background work (stack updates, deployments); a test asserts there are none. */
  problems(): string[];
  stop(): Promise<void>;
}

export async function startLocalAws(options: { speed: number; seed?: number }): Promise<LocalAws> {
  const moto: MotoServer = await startMoto();
  const clock = new VirtualClock(options.speed);
  const seed = options.seed ?? 20261128;
  const config = { region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS };
  const lambda = new LambdaClient(config);
  const cloudWatch = new CloudWatchClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const iam = new IAMClient(config);
  const hooks = new Map<string, HookBehaviour>();
  const hookErrors: string[] = [];
  let endpoint = '';
  let reporter: CodeDeployClient | undefined;

  const invokeHook = (call: HookCall): void => {
    void (async () => {
      const status = await (hooks.get(call.functionName) ?? 'Succeeded');
      reporter ??= new CodeDeployClient({ region: REGION, endpoint, credentials: MOTO_CREDENTIALS });
      await reporter.send(
        new PutLifecycleEventHookExecutionStatusCommand({
          deploymentId: call.deploymentId,
          lifecycleEventHookExecutionId: call.lifecycleEventHookExecutionId,
          status,
        }),
      );
    })().catch((error: unknown) => {
      // A hook that reports after its deployment was stopped is told so; anything else is a problem.
      if ((error as Error).name !== 'LifecycleEventAlreadyCompletedException')
        hookErrors.push(`hook ${call.functionName}: ${(error as Error).message}`);
    });
  };
  const codeDeploy = new CodeDeployStandIn({
    clock,
    ids: new IdSource(seed),
    lambda,
    cloudWatch,
    invokeHook,
    region: REGION,
    account: ACCOUNT,
  });
  const cloudFormation = new LocalCloudFormation({
    clock,
    ids: new IdSource(seed + 1),
    region: REGION,
    account: ACCOUNT,
    s3,
    iam,
    lambda,
    cloudWatch,
    codeDeploy,
    motoEndpoint: moto.endpoint,
  });
  codeDeploy.start();

  // Who waits for the next GetMetricData: each arriving request takes the waiters registered before it.
  let metricWaiters: (() => void)[] = [];
  const metricRead = (): (() => void) => {
    const waiting = metricWaiters;
    metricWaiters = [];
    return () => waiting.forEach((resolve) => resolve());
  };

  const server = http.createServer((req, res) => {
    void route(req, res, { moto: moto.endpoint, codeDeploy, cloudFormation, metricRead }).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String((error as Error).stack ?? error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  return {
    endpoint,
    clock,
    codeDeploy,
    cloudFormation,
    hooks,
    lambda,
    cloudWatch,
    s3,
    cliEnv: (credentials = MOTO_CREDENTIALS) => ({
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL: endpoint,
      LOCAL_AWS_ENDPOINT: endpoint,
      ...clock.env(),
      NODE_OPTIONS: `--require ${path.join(__dirname, 'preload.js')}`,
      // The framework's stack monitor polls every 5 s by default: on the accelerated clock, far more often.
      SLS_AWS_MONITORING_FREQUENCY: String(Math.max(50, Math.round(5000 / options.speed))),
    }),
    nextMetricRead: () => new Promise<void>((resolve) => metricWaiters.push(resolve)),
    problems: () => [...codeDeploy.problems, ...cloudFormation.problems, ...hookErrors],
    stop: async () => {
      codeDeploy.stop();
      await new Promise((resolve) => server.close(resolve));
      await moto.stop();
    },
  };
}

interface Backends {
  moto: string;
  codeDeploy: CodeDeployStandIn;
  cloudFormation: LocalCloudFormation;
  /** Called as a GetMetricData request arrives; what it returns, once the request is answered. */
  metricRead(): () => void;
}

async function body(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function scope(req: http.IncomingMessage): { key: string; service: string } {
  const m = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '');
  return { key: m?.[1] ?? '', service: m?.[2] ?? '' };
}

async function route(req: http.IncomingMessage, res: http.ServerResponse, b: Backends): Promise<void> {
  const payload = await body(req);
  const { key, service } = scope(req);
  const target = String(req.headers['x-amz-target'] ?? '');
  if (key === FAULT_KEYS.expired) return expired(res, service, target);
  if (service === 'cloudformation')
    return cloudFormation(res, b.cloudFormation, new URLSearchParams(payload.toString()));
  if (target.startsWith('CodeDeploy_20141006.')) {
    const operation = target.slice('CodeDeploy_20141006.'.length);
    if (key === FAULT_KEYS.readOnly && operation === 'StopDeployment')
      return json(res, 400, { __type: 'AccessDeniedException', message: denied('codedeploy:StopDeployment') });
    try {
      return json(
        res,
        200,
        await b.codeDeploy.handle(operation, JSON.parse(payload.toString() || '{}') as Record<string, unknown>),
      );
    } catch (error) {
      if (error instanceof CodeDeployError) return json(res, 400, { __type: error.type, message: error.message });
      throw error;
    }
  }
  if (service === 'lambda') {
    // GetFunction and GetFunctionConfiguration of $LATEST: with the LastModified of the function's last update.
    const url = new URL(req.url ?? '/', 'http://local');
    const read = /^\/2015-03-31\/functions\/([^/]+)(\/configuration)?\/?$/.exec(url.pathname);
    const latest = (url.searchParams.get('Qualifier') ?? '$LATEST') === '$LATEST';
    const updated =
      read && latest && req.method === 'GET' && b.cloudFormation.lastModified(decodeURIComponent(read[1] ?? ''));
    if (updated) {
      const answer = await motoAnswer(b.moto, req, payload);
      return void res.end(withLastModified(res, answer, updated, Boolean(read[2])));
    }
    const alias = /^\/2015-03-31\/functions\/([^/]+)\/aliases\/([^/?]+)/.exec(req.url ?? '');
    if (alias && req.method === 'PUT') {
      if (key === FAULT_KEYS.readOnly)
        return lambdaError(
          res,
          403,
          'AccessDeniedException',
          denied('lambda:UpdateAlias', decodeURIComponent(alias[1] as string)),
        );
      const wanted = (JSON.parse(payload.toString() || '{}') as { RevisionId?: string }).RevisionId;
      if (wanted !== undefined) {
        const current = await motoAnswer(
          b.moto,
          { method: 'GET', url: req.url ?? '', headers: req.headers },
          Buffer.alloc(0),
        );
        const revision = (JSON.parse(current.body.toString() || '{}') as { RevisionId?: string }).RevisionId;
        if (revision !== wanted)
          return lambdaError(
            res,
            412,
            'PreconditionFailedException',
            'The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id',
          );
      }
    }
    if (alias && req.method === 'GET' && key === FAULT_KEYS.racing) {
      const answer = await motoAnswer(b.moto, req, payload);
      const parsed = JSON.parse(answer.body.toString()) as { RevisionId?: string };
      const stale = Buffer.from(JSON.stringify({ ...parsed, RevisionId: `${parsed.RevisionId ?? ''}-stale` }));
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': String(stale.length) });
      return void res.end(stale);
    }
  }
  const answered = target.endsWith('.GetMetricData') ? b.metricRead() : undefined;
  const answer = await motoAnswer(b.moto, req, payload);
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body, answered);
}

/** Writes the head of a Lambda function's answer and returns its body, LastModified set to `updated`. */
function withLastModified(
  res: http.ServerResponse,
  answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer },
  updated: Date,
  configurationOnly: boolean,
): Buffer {
  if (answer.status !== 200) {
    res.writeHead(answer.status, answer.headers);
    return answer.body;
  }
  const parsed = JSON.parse(answer.body.toString()) as {
    LastModified?: string;
    Configuration?: { LastModified?: string };
  };
  // Lambda's own format: 2026-11-28T08:30:00.000+0000.
  const stamp = updated.toISOString().replace('Z', '+0000');
  if (configurationOnly) parsed.LastModified = stamp;
  else if (parsed.Configuration) parsed.Configuration.LastModified = stamp;
  const body = Buffer.from(JSON.stringify(parsed));
  res.writeHead(200, { ...answer.headers, 'content-length': String(body.length) });
  return body;
}

function denied(action: string, functionName?: string): string {
  return (
    `User: arn:aws:iam::${ACCOUNT}:user/read-only is not authorized to perform: ${action}` +
    (functionName ? ` on resource: arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}` : '') +
    ` because no identity-based policy allows the ${action} action`
  );
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value ?? {});
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function lambdaError(res: http.ServerResponse, status: number, type: string, message: string): void {
  const text = JSON.stringify({ Type: 'User', Message: message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-errortype': type,
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function expired(res: http.ServerResponse, service: string, target: string): void {
  const message = 'The security token included in the request is expired';
  if (service === 'cloudformation') return xmlError(res, 403, 'ExpiredToken', message);
  if (target) return json(res, 400, { __type: 'ExpiredTokenException', message });
  return lambdaError(res, 403, 'ExpiredTokenException', message);
}

const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The query protocol's XML: lists as `<member>` elements, dates in ISO 8601. */
function xml(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => `<member>${xml(v)}</member>`).join('');
  if (value && typeof value === 'object')
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${xml(v)}</${k}>`)
      .join('');
  return escape(String(value));
}

function xmlError(res: http.ServerResponse, status: number, code: string, message: string): void {
  const text = `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>`;
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

async function cloudFormation(
  res: http.ServerResponse,
  cfn: LocalCloudFormation,
  params: URLSearchParams,
): Promise<void> {
  const action = params.get('Action') ?? '';
  try {
    const result = await cfn.handle(action, params);
    const text = `<${action}Response xmlns="${XMLNS}"><${action}Result>${xml(result)}</${action}Result><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></${action}Response>`;
    res.writeHead(200, { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  } catch (error) {
    if (error instanceof CfnError) return xmlError(res, 400, error.code, error.message);
    throw error;
  }
}
