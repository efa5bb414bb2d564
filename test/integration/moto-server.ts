/**
 * A moto_server (local AWS emulator) for one test file: started on 127.0.0.1 at a free port, stopped at the end.
 * Without moto_server on PATH the file's suite is skipped, and says so in the output.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
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
  const moto = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
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
