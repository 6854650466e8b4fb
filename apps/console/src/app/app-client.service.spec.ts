import { ProblemException } from '@gatehouse/shared/http';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppClient } from './app-client.service';
import type { ConsoleConfig } from './console.config';

// A real socket on the other end: the status app as the console sees it.
function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      }),
    ),
  );
}

function client(statusUrl: string): AppClient {
  return new AppClient({
    GATEWAY_URL: new URL('http://127.0.0.1:1'),
    INGEST_URL: new URL('http://127.0.0.1:1'),
    STATUS_URL: new URL(statusUrl),
    CALL_TIMEOUT_MS: 2_000,
  } as ConsoleConfig);
}

async function problemOf(promise: Promise<unknown>): Promise<ProblemException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('expected a problem');
}

describe('AppClient (O-1)', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    ({ server, url } = await listen((req, res) => {
      if (req.url === '/ok') {
        res.setHeader('content-type', 'application/json');
        res.end('{"total": 1}');
      } else if (req.url === '/missing') {
        res.statusCode = 404;
        res.setHeader('content-type', 'application/problem+json');
        res.end(
          '{"type":"https://gatehouse.dev/problems/scan-not-found","title":"Not Found","status":"Not-Found","detail":"No scan.","httpStatus":404}',
        );
      } else {
        res.statusCode = 500;
        res.end('boom at 10.0.0.7');
      }
    }));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('returns a 2xx JSON answer', async () => {
    await expect(client(url).json('status', '/ok')).resolves.toEqual({
      total: 1,
    });
  });

  it("passes an app's 4xx problem on with its status, keeping extensions", async () => {
    const problem = await problemOf(client(url).json('status', '/missing'));
    expect(problem.getStatus()).toBe(404);
    expect(problem.problemType).toMatch(/scan-not-found$/);
    expect(problem.extensions).toMatchObject({
      app: 'status',
      scanStatus: 'Not-Found',
      httpStatus: 404,
    });
    expect(problem.extensions).not.toHaveProperty('status');
  });

  it('turns any other failure into a 502 that names the app and leaks nothing', async () => {
    const broken = await problemOf(client(url).json('status', '/other'));
    expect(broken.getStatus()).toBe(502);
    expect(broken.detail).not.toContain('10.0.0.7');
    const down = await problemOf(
      client('http://127.0.0.1:1').json('status', '/ok'),
    );
    expect(down.getStatus()).toBe(502);
    expect(down.detail).toBe('status is unreachable.');
    expect(down.extensions).toEqual({ app: 'status' });
  });
});
