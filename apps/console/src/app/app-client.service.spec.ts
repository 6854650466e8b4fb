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

const MAX_BYTES = 64 * 1024;

function client(statusUrl: string): AppClient {
  return new AppClient({
    GATEWAY_URL: new URL('http://127.0.0.1:1'),
    INGEST_URL: new URL('http://127.0.0.1:1'),
    STATUS_URL: new URL(statusUrl),
    CALL_TIMEOUT_MS: 2_000,
    CALL_MAX_BYTES: MAX_BYTES,
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
  // Whether the streamed oversized answer was cut off before the app finished writing it.
  let streamCut: Promise<boolean>;
  beforeAll(async () => {
    ({ server, url } = await listen((req, res) => {
      if (req.url === '/declared-large') {
        res.setHeader('content-type', 'application/json');
        res.setHeader('content-length', 20 * 1024 * 1024);
        res.write('[');
      } else if (req.url === '/streamed-large') {
        // No Content-Length: only counting while reading can stop it.
        res.setHeader('content-type', 'application/json');
        let sent = 0;
        const chunk = Buffer.alloc(16 * 1024, 0x20);
        streamCut = new Promise((resolve) => {
          res.on('close', () => resolve(!res.writableFinished));
          const pump = (): void => {
            while (sent < 20 * 1024 * 1024) {
              sent += chunk.length;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
            res.end();
          };
          pump();
        });
      } else if (req.url === '/just-under') {
        res.setHeader('content-type', 'application/json');
        res.end(`"${'x'.repeat(MAX_BYTES - 2)}"`);
      } else if (req.url === '/leaky') {
        res.statusCode = 409;
        res.setHeader('content-type', 'application/problem+json');
        res.setHeader('x-internal-host', 'db-7.internal.corp');
        res.end(
          JSON.stringify({
            type: 'https://status.internal.corp/problems/conflict',
            title: 'Conflict on db-7.internal.corp',
            status: 409,
            detail: 'Error: at Object.<anonymous> (/srv/status/main.js:12:7)',
            stack: 'Error\n    at /srv/status/main.js:12:7',
            upstreamHost: 'db-7.internal.corp',
          }),
        );
      } else if (req.url === '/ok') {
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

  it("relays an app's 4xx as its status and a generic title, none of the app's fields (O-1)", async () => {
    const missing = await problemOf(client(url).json('status', '/missing'));
    expect(missing.getStatus()).toBe(404);
    expect(missing.title).toBe('Not Found');
    expect(missing.problemType).toMatch(/\/not-found$/);
    expect(missing.detail).toBe('status answered 404 Not Found.');
    expect(missing.extensions).toEqual({ app: 'status' });

    const leaky = await problemOf(client(url).json('status', '/leaky'));
    expect(leaky.getStatus()).toBe(409);
    expect(leaky.title).toBe('Conflict');
    expect(leaky.extensions).toEqual({ app: 'status' });
    expect(leaky.headers).toEqual({});
    const relayed = JSON.stringify({
      type: leaky.problemType,
      title: leaky.title,
      detail: leaky.detail,
      ...leaky.extensions,
    });
    expect(relayed).not.toMatch(/internal\.corp|main\.js|stack/);
  });

  it('answers within CALL_MAX_BYTES are read whole (O-1)', async () => {
    await expect(
      client(url).json('status', '/just-under'),
    ).resolves.toHaveLength(MAX_BYTES - 2);
  });

  it('refuses an answer whose Content-Length is over CALL_MAX_BYTES with a 502, unread (O-1)', async () => {
    const problem = await problemOf(
      client(url).json('status', '/declared-large'),
    );
    expect(problem.getStatus()).toBe(502);
    expect(problem.problemType).toMatch(/app-answer-too-large$/);
    expect(problem.extensions).toEqual({ app: 'status' });
  });

  it('stops reading a streamed answer once it passes CALL_MAX_BYTES, with a 502 (O-1)', async () => {
    const problem = await problemOf(
      client(url).json('status', '/streamed-large'),
    );
    expect(problem.getStatus()).toBe(502);
    expect(problem.problemType).toMatch(/app-answer-too-large$/);
    await expect(streamCut).resolves.toBe(true);
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
