/**
 * A moto_server (local AWS emulator) for one test file: started on 127.0.0.1 at a free port, stopped at the end.
 * Without moto_server on PATH the file's suite is skipped, and says so in the output.
 *
 * moto computes Sum, Average, Minimum, Maximum and SampleCount but no percentile, and fails a whole GetMetricData
 * request that asks for one (HTTP 500) once data points are in its window. `motoAnswer` fills that gap for whoever
 * sits in front of moto (the end-to-end tests' local AWS, `startPercentileProxy` for the tests that talk to moto
 * directly): the percentile queries (`p99`...) are taken out of the request and answered with no data point, the
 * rest is moto's own answer.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as http from 'http';
import * as net from 'net';

const MOTO = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).stdout.trim();
export const MOTO_CREDENTIALS = { accessKeyId: 'AKIDMOTO', secretAccessKey: 'moto-secret' };

/** `describe` when moto_server is installed, else `describe.skip` with a visible warning naming the file. */
export function describeWithMoto(file: string): jest.Describe {
  if (MOTO) return describe;
  console.warn(`${file}: SKIPPED, moto_server is not on PATH (pip install "moto[server]").`);
  return describe.skip;
}

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // AWS's managed policies, which roles attach by ARN (arn:aws:iam::aws:policy/…), are loaded only when asked for.
  const env = { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' };
  const moto = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', env });
  await waitForMoto(endpoint, moto);
  return {
    endpoint,
    stop: async () => {
      if (moto.exitCode !== null) return;
      const exited = new Promise((resolve) => moto.once('exit', resolve));
      moto.kill('SIGTERM');
      await exited;
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForMoto(endpoint: string, process: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) throw new Error(`moto_server exited with code ${process.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30s`);
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

type RequestHead = Pick<http.IncomingMessage, 'method' | 'url' | 'headers'>;

/** A CloudWatch percentile statistic (`p99`, `p99.9`): what moto cannot compute. */
const isPercentile = (stat: string | undefined): boolean => /^p\d+(\.\d+)?$/.test(stat ?? '');

/** moto's answer to a request, as received; GetMetricData's percentile queries answered with no data point. */
export async function motoAnswer(moto: string, req: RequestHead, payload: Buffer): Promise<Answer> {
  if (!String(req.headers['x-amz-target'] ?? '').endsWith('.GetMetricData')) return forward(moto, req, payload);
  const input = JSON.parse(payload.toString('utf8')) as {
    MetricDataQueries: { Id: string; MetricStat?: { Stat?: string } }[];
  };
  const removed = input.MetricDataQueries.filter((q) => isPercentile(q.MetricStat?.Stat)).map((q) => q.Id);
  if (removed.length === 0) return forward(moto, req, payload);
  input.MetricDataQueries = input.MetricDataQueries.filter((q) => !removed.includes(q.Id));
  const answer = await forward(moto, req, Buffer.from(JSON.stringify(input)));
  if (answer.status !== 200) return answer;
  const output = JSON.parse(answer.body.toString('utf8')) as { MetricDataResults: unknown[] };
  for (const id of removed)
    output.MetricDataResults.push({ Id: id, Label: id, Timestamps: [], Values: [], StatusCode: 'Complete' });
  const body = Buffer.from(JSON.stringify(output));
  return { ...answer, headers: { ...answer.headers, 'content-length': String(body.length) }, body };
}

/** An endpoint in front of moto that answers as `motoAnswer`. */
export async function startPercentileProxy(moto: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      motoAnswer(moto, req, Buffer.concat(chunks)).then(
        (answer) => {
          res.writeHead(answer.status, answer.headers);
          res.end(answer.body);
        },
        (error: unknown) => {
          res.writeHead(502);
          res.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Sends the request to moto as received and returns its whole answer. */
export async function forward(moto: string, req: RequestHead, payload: Buffer): Promise<Answer> {
  const url = new URL(req.url ?? '/', moto);
  return new Promise((resolve, reject) => {
    const out = http.request(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host, 'content-length': String(payload.length) } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const headers = { ...answer.headers };
          delete headers['transfer-encoding'];
          const data = Buffer.concat(chunks);
          headers['content-length'] = String(data.length);
          resolve({ status: answer.statusCode ?? 500, headers, body: data });
        });
        answer.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(payload);
  });
}
