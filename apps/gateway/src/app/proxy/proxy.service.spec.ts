import { loadConfig } from '@gatehouse/shared/config';
import {
  createServer,
  get,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { gatewaySchema } from '../gateway.config';
import { JwtSigner } from '../jwt/jwt-signer.service';
import { readBody } from '../request/body-reader';
import { RequestContext } from '../request/request-context';
import { UpstreamHeaders } from '../request/upstream-headers';
import type { UpstreamTarget } from '../request/upstream-target';
import { ProxyService } from './proxy.service';

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

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('ProxyService (G-1, G-8)', () => {
  const seen: Seen[] = [];
  let upstreamClosed: Promise<void>;
  let markUpstreamClosed: () => void;
  let upstream: Server;
  let gateway: Server;
  let gatewayUrl: string;
  let pool: Pool;
  const failures: unknown[] = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        if (req.url === '/endless') {
          // Streams until the gateway cuts the exchange.
          res.writeHead(200, { 'content-type': 'text/plain' });
          const timer = setInterval(() => res.write('x'.repeat(1024)), 5);
          res.on('close', () => {
            clearInterval(timer);
            markUpstreamClosed();
          });
          return;
        }
        if (req.url === '/big') {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          for (let i = 0; i < 64; i++) res.write(Buffer.alloc(16_384, i));
          res.end();
          return;
        }
        res.writeHead(201, [
          'Content-Type',
          'application/json',
          'Set-Cookie',
          'a=1',
          'Set-Cookie',
          'b=2',
          'Connection',
          'keep-alive, x-hop',
          'X-Hop',
          'dropped',
          'X-Kept',
          'kept',
        ]);
        res.end('{"ok":true}');
      });
    });
    const upstreamUrl = await listen(upstream);
    pool = new Pool(upstreamUrl, { connections: 4 });
    const target: UpstreamTarget = {
      dispatcher: pool,
      origin: upstreamUrl,
      host: new URL(upstreamUrl).host,
      signed: true,
    };
    const config = loadConfig(gatewaySchema, {
      JWT_SECRET: 'ab'.repeat(32),
    });
    const proxy = new ProxyService(new UpstreamHeaders(new JwtSigner(config)));
    gateway = createServer((req: IncomingMessage, res: ServerResponse) => {
      const context = new RequestContext(req, res, 'rid-1', 'client', 0);
      // As the pipeline does: a client that leaves cuts the exchange.
      res.once('close', () => {
        if (!res.writableFinished) context.exchange?.abort();
      });
      void readBody(req, 1024, 5_000)
        .then((read) => {
          context.body = read.body;
          context.bodyComplete = read.complete;
          return proxy.forward(context, target);
        })
        .catch((error: unknown) => {
          failures.push(error);
          if (!res.headersSent) res.writeHead(502).end();
          else res.destroy();
        });
    });
    gatewayUrl = await listen(gateway);
  });

  afterAll(async () => {
    await close(gateway);
    await pool.destroy();
    await close(upstream);
  });

  beforeEach(() => {
    seen.length = 0;
    failures.length = 0;
    upstreamClosed = new Promise((resolve) => (markUpstreamClosed = resolve));
  });

  it('forwards method, target and body, and returns status, headers and body untouched', async () => {
    const response = await fetch(`${gatewayUrl}/orders?q=1&q=2`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-client': 'c' },
      body: 'hello',
    });
    expect(response.status).toBe(201);
    await expect(response.text()).resolves.toBe('{"ok":true}');
    expect(response.headers.get('x-kept')).toBe('kept');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    // Hop-by-hop, and what Connection names, stay on the upstream's connection.
    expect(response.headers.get('x-hop')).toBeNull();
    expect(response.headers.get('x-request-id')).toBe('rid-1');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/orders?q=1&q=2',
      body: 'hello',
    });
    expect(seen[0].headers['x-client']).toBe('c');
    expect(seen[0].headers['x-request-id']).toBe('rid-1');
    // G-8: the signed target gets a JWT (three base64url parts).
    expect(seen[0].headers['x-my-jwt']).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('streams an answer larger than one chunk intact', async () => {
    const response = await fetch(`${gatewayUrl}/big`);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBe(64 * 16_384);
    for (let i = 0; i < 64; i++) expect(body[i * 16_384]).toBe(i);
  });

  it('cuts the upstream exchange when the client leaves mid-answer', async () => {
    await new Promise<void>((resolve, reject) => {
      const request = get(`${gatewayUrl}/endless`, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', () => undefined);
      setTimeout(() => reject(new Error('no answer')), 10_000).unref();
    });
    // The upstream sees its request closed: nothing keeps streaming to a client that left.
    await upstreamClosed;
    await new Promise<void>((resolve) => {
      const check = () =>
        failures.length > 0 ? resolve() : setTimeout(check, 10);
      check();
    });
    expect((failures[0] as Error).name).toBe('AbortError');
  });
});
