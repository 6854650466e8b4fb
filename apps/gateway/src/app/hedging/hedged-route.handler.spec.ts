import { loadConfig } from '@gatehouse/shared/config';
import { ProblemException } from '@gatehouse/shared/http';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { gatewaySchema } from '../gateway.config';
import { JwtSigner } from '../jwt/jwt-signer.service';
import { BackendUpstream } from '../request/backend-upstream';
import { RequestContext } from '../request/request-context';
import { UpstreamHeaders } from '../request/upstream-headers';
import { HedgeFailedError } from './hedged-call';
import {
  HEDGE_COPIES_HEADER,
  HedgedRouteHandler,
} from './hedged-route.handler';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('HedgedRouteHandler (G-7)', () => {
  // How the backend's /api/work answers each call, in order; past the list, at once.
  let plan: {
    delayMs: number;
    status: number;
    headers?: Record<string, string>;
  }[] = [];
  let calls: IncomingMessage['headers'][] = [];
  let backend: Server;
  let gateway: Server;
  let gatewayUrl: string;
  let upstream: BackendUpstream;
  const failures: unknown[] = [];

  beforeAll(async () => {
    backend = createServer((req, res) => {
      const n = calls.push(req.headers) - 1;
      const step = plan[n] ?? { delayMs: 0, status: 200 };
      const timer = setTimeout(() => {
        res.writeHead(step.status, {
          'content-type': 'application/json',
          ...step.headers,
        });
        res.end(JSON.stringify({ call: n }));
      }, step.delayMs);
      res.on('close', () => clearTimeout(timer));
    });
    const backendUrl = await listen(backend);
    const config = loadConfig(gatewaySchema, {
      BACKEND_URL: backendUrl,
      // Wide enough that a quick answer on a busy machine still comes before any extra copy.
      HEDGE_AFTER_MS: '250',
      HEDGE_EXTRA: '2',
      JWT_SECRET: 'cd'.repeat(32),
    });
    upstream = new BackendUpstream(config);
    const handler = new HedgedRouteHandler(
      config,
      upstream,
      new UpstreamHeaders(new JwtSigner(config)),
    );
    gateway = createServer((req: IncomingMessage, res: ServerResponse) => {
      const context = new RequestContext(
        req,
        res,
        'rid-h',
        'client',
        performance.now(),
      );
      handler.serve(context).catch((error: unknown) => {
        failures.push(error);
        res.statusCode =
          error instanceof ProblemException ? error.getStatus() : 502;
        res.end();
      });
    });
    gatewayUrl = await listen(gateway);
  });

  afterAll(async () => {
    await close(gateway);
    await upstream.onApplicationShutdown();
    await close(backend);
  });

  beforeEach(() => {
    plan = [];
    calls = [];
    failures.length = 0;
  });

  it('fires the extra copies when the first is slow, and answers with the first success', async () => {
    plan = [{ delayMs: 5_000, status: 200 }];
    const response = await fetch(`${gatewayUrl}/api/smart`);
    expect(response.status).toBe(200);
    expect(response.headers.get(HEDGE_COPIES_HEADER)).toBe('3');
    expect(response.headers.get('x-request-id')).toBe('rid-h');
    const body = (await response.json()) as { call: number };
    expect(body.call).toBeGreaterThan(0);
    // Each copy carries its own token (G-8): no two share a jti.
    const tokens = calls.map((headers) => headers['x-my-jwt']);
    expect(new Set(tokens).size).toBe(calls.length);
  });

  it('answers at once with one copy when the backend is quick', async () => {
    const response = await fetch(`${gatewayUrl}/api/smart?timeout=2000`);
    expect(response.status).toBe(200);
    expect(response.headers.get(HEDGE_COPIES_HEADER)).toBe('1');
    expect(calls).toHaveLength(1);
  });

  it("forwards the winner's end-to-end headers and drops hop-by-hop ones, as the proxy does", async () => {
    plan = [
      {
        delayMs: 0,
        status: 200,
        headers: {
          'cache-control': 'max-age=5',
          'x-backend': 'b1',
          connection: 'keep-alive, x-conn-only',
          'x-conn-only': 'secret',
          trailer: 'x-checksum',
          'proxy-authenticate': 'Basic',
        },
      },
    ];
    const response = await fetch(`${gatewayUrl}/api/smart`);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(response.headers.get('cache-control')).toBe('max-age=5');
    expect(response.headers.get('x-backend')).toBe('b1');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-length')).toBe(
      String(Buffer.byteLength(body)),
    );
    expect(response.headers.get('x-request-id')).toBe('rid-h');
    for (const name of ['x-conn-only', 'trailer', 'proxy-authenticate'])
      expect(response.headers.get(name)).toBeNull();
  });

  it('fails with every copy counted when all of them fail', async () => {
    plan = [
      { delayMs: 0, status: 500 },
      { delayMs: 0, status: 503 },
      { delayMs: 0, status: 500 },
    ];
    const response = await fetch(`${gatewayUrl}/api/smart`);
    expect(response.status).toBe(502);
    expect(response.headers.get(HEDGE_COPIES_HEADER)).toBe('3');
    expect(failures[0]).toBeInstanceOf(HedgeFailedError);
  });

  it('refuses other methods with 405 and unknown query parameters with 400', async () => {
    const post = await fetch(`${gatewayUrl}/api/smart`, { method: 'POST' });
    expect(post.status).toBe(405);
    const query = await fetch(`${gatewayUrl}/api/smart?debug=1`);
    expect(query.status).toBe(400);
    const bad = await fetch(`${gatewayUrl}/api/smart?timeout=0`);
    expect(bad.status).toBe(400);
    expect(calls).toHaveLength(0);
  });
});
