/** The SDK clients of the deploy-time features: every failure names the operation (here through a real client). */
import * as net from 'net';
import { awsFailure } from '../../../src/deploy/aws-errors';
import { createClients, readAlias } from '../../../src/deploy/aws';

const scope = { stackName: 'svc-prod', region: 'eu-west-1' };

describe('the clients name the failed operation', () => {
  it('a refused connection through a real client: lambda:GetAlias, unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as net.AddressInfo;
        server.close(() => resolve(p));
      });
    });
    const clients = createClients({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      endpoint: `http://127.0.0.1:${port}`,
    });
    const error = await readAlias(clients.lambda, 'svc-prod-api', 'live').catch((e: unknown) => e);
    const failure = awsFailure(error, scope);
    expect(failure?.code).toBe('TRAFFIC_SHIFT_AWS_UNREACHABLE');
    expect(failure?.message).toMatch(
      /^lambda:GetAlias failed for stack svc-prod in eu-west-1: AWS could not be reached \(.*ECONNREFUSED/,
    );
  });

  it('an endpoint that accepts but never answers: the request fails within its timeout, as unreachable', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const clients = createClients({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      timeouts: { connectMs: 500, requestMs: 300 },
    });
    const started = Date.now();
    const error = await readAlias(clients.lambda, 'svc-prod-api', 'live').catch((e: unknown) => e);
    const took = Date.now() - started;
    for (const socket of sockets) socket.destroy();
    server.close();
    const failure = awsFailure(error, scope);
    expect(failure?.code).toBe('TRAFFIC_SHIFT_AWS_UNREACHABLE');
    expect(failure?.message).toMatch(
      /^lambda:GetAlias failed for stack svc-prod in eu-west-1: AWS could not be reached/,
    );
    // Three attempts of 300 ms and the SDK's short back-offs.
    expect(took).toBeLessThan(5000);
  });
});
