/**
 * The plugin must not get in the way of local development: `serverless offline start` runs the example service
 * (which lists serverless-traffic-shift before serverless-offline) and its HTTP API answers a real request. Code that
 * invokes a shifted function through the SDK names the alias with `Qualifier` (docs/event-sources.md): that works
 * against serverless-offline's Lambda endpoint too, where a qualified name (`<name>:<alias>`) is not found.
 *
 * Needs dist/ (the example loads the plugin through the repository's package.json `main`): `npm test` builds first.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { spawn, type ChildProcess } from 'child_process';
import { existsSync } from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const serviceDir = path.join(root, 'example-service');
const serverlessBin = path.join(root, 'node_modules', '.bin', 'serverless');
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 40_000;
const STOP_TIMEOUT_MS = 5_000;

/** A port nothing listens on now: the OS picks it, then it is released for serverless-offline to bind. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Response {
  status: number;
  contentType: string | undefined;
  body: string;
}

function get(url: string, timeoutMs = 5_000): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body }));
      res.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `promise` at most `ms`; true when it settled in time. Leaves no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('serverless offline with the plugin loaded', () => {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  /** Stops the whole process group (the framework and anything it started), SIGKILL if SIGTERM is not enough. */
  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc?.pid || proc.exitCode !== null || proc.signalCode !== null) return;
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-(proc.pid as number), signal);
      } catch {
        // The group is already gone.
      }
    };
    signalGroup('SIGTERM');
    const stopped = await within(exited, STOP_TIMEOUT_MS);
    // Also reaps anything left in the group after the leader exited.
    signalGroup('SIGKILL');
    if (!stopped) await within(exited, STOP_TIMEOUT_MS);
  }

  afterEach(stop);
  // Last resort if jest itself is interrupted: never leave a server behind.
  const onExit = (): void => {
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  };
  beforeAll(() => process.on('exit', onExit));
  afterAll(() => process.off('exit', onExit));

  it(
    'serves the api function over HTTP, and through its Lambda endpoint with the alias as Qualifier (not in the name)',
    async () => {
      if (!existsSync(path.join(root, 'dist', 'index.js'))) {
        throw new Error('dist/index.js is missing: run "npm run build" first (npm test does).');
      }
      const [httpPort, lambdaPort] = await Promise.all([freePort(), freePort()]);
      const started = Date.now();

      const proc = spawn(
        serverlessBin,
        [
          'offline',
          'start',
          '--stage',
          'prod',
          '--host',
          HOST,
          '--httpPort',
          String(httpPort),
          '--lambdaPort',
          String(lambdaPort),
        ],
        {
          cwd: serviceDir,
          // Its own process group, so stop() reaches every process it starts.
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', FORCE_COLOR: '0' },
        },
      );
      child = proc;
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

      const url = `http://${HOST}:${httpPort}/hello?name=offline`;
      let response: Response | undefined;
      while (!response) {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(
            `serverless offline exited early (code ${proc.exitCode}, signal ${proc.signalCode}):\n${output}`,
          );
        }
        if (Date.now() - started > READY_TIMEOUT_MS) {
          throw new Error(`serverless offline did not answer on ${url} within ${READY_TIMEOUT_MS} ms:\n${output}`);
        }
        // Ready when the HTTP server logs it; polling covers a changed log line.
        if (output.includes('Server ready:')) {
          response = await get(url).catch(() => undefined);
        } else {
          response = await get(url, 1_000).catch(() => undefined);
        }
        if (!response) await sleep(250);
      }

      expect(response.status).toBe(200);
      expect(response.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(response.body)).toEqual(expect.objectContaining({ message: 'Hello, offline!', stage: 'prod' }));
      // The plugin registered its settings schema: the framework did not flag deploymentSettings as unknown.
      expect(output).not.toMatch(/deploymentSettings/);

      // Invoking from code, as the docs recommend: the function's name and the alias as Qualifier.
      const lambda = new LambdaClient({
        endpoint: `http://${HOST}:${lambdaPort}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' },
      });
      const invoke = (FunctionName: string, Qualifier?: string) =>
        lambda.send(
          new InvokeCommand({
            FunctionName,
            ...(Qualifier !== undefined && { Qualifier }),
            Payload: Buffer.from(JSON.stringify({ queryStringParameters: { name: 'sdk' } })),
          }),
        );
      const qualified = await invoke('traffic-shift-example-prod-api', 'live');
      expect(qualified.StatusCode).toBe(200);
      const result = JSON.parse(Buffer.from(qualified.Payload ?? []).toString('utf8')) as { body: string };
      expect(JSON.parse(result.body)).toEqual(expect.objectContaining({ message: 'Hello, sdk!', stage: 'prod' }));
      // The alias in the name: serverless-offline knows no such function.
      const byName = await invoke('traffic-shift-example-prod-api:live').catch((error: unknown) => error);
      expect(byName).toMatchObject({ $metadata: { httpStatusCode: 404 } });
      lambda.destroy();
    },
    READY_TIMEOUT_MS + 3 * STOP_TIMEOUT_MS + 10_000,
  );
});
