import { connect } from 'node:net';
import {
  GatewayUnderTest,
  rawRequest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

describe('hostile input gets a clear 4xx and the gateway stays up', () => {
  let sut: GatewayUnderTest;
  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      MAX_BODY_BYTES: '8192',
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => sut.stop());
  beforeEach(() => sut.upstream.requests.splice(0));
  afterEach(async () => {
    expect(sut.gateway.running).toBe(true);
    expect(
      (await fetch(`${sut.gateway.url}/_gateway/health/live`)).status,
    ).toBe(200);
  });

  it('answers malformed HTTP with 400 problem+json', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      'GET /x HTTP/1.1\r\nHost: a\r\nBad Header Line\r\n\r\n',
    );
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body.toString()).status).toBe(400);
  });

  it('answers oversized headers with 431', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      `GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(response.status).toBe(431);
  });

  it('rejects a body whose length conflicts with chunked encoding (smuggling)', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    expect(response.status).toBe(400);
    expect(sut.upstream.requests.some((r) => r.url === '/smuggled')).toBe(
      false,
    );
  });

  it('refuses absolute-form targets while forward-proxy mode is off, and CONNECT always', async () => {
    const absolute = await rawRequest(
      sut.gateway.port,
      'GET http://evil.example/x HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
    );
    expect(absolute.status).toBe(403);
    const connect = await rawRequest(
      sut.gateway.port,
      'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\nConnection: close\r\n\r\n',
    );
    expect(connect.status).toBe(405);
    expect(sut.upstream.requests).toHaveLength(0);
  });

  it('answers malformed JSON with the backend’s verdict, unaltered', async () => {
    sut.upstream.respond((req, res) => {
      res.statusCode = 400;
      res.end(`backend saw ${req.body.length} bytes`);
    });
    const response = await fetch(`${sut.gateway.url}/api/x`, {
      method: 'POST',
      body: '{"a":',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('backend saw 5 bytes');
    sut.upstream.respond((_req, res) => res.end('{"ok":true}'));
  });

  it('survives a flood of concurrent distinct requests, answering every one', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        fetch(`${sut.gateway.url}/flood/${i}`).then((r) => r.status),
      ),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
  });

  it.each([
    ['/_gateway/../secret'],
    ['/_gateway/%2e%2e/secret'],
    ['/_gateway/nope'],
  ])('never forwards its own reserved prefix: %s', async (target) => {
    const response = await rawRequest(
      sut.gateway.port,
      `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(sut.upstream.requests).toHaveLength(0);
  });

  it.each([
    ['GET', '/_gateway/status?foo=1', 'foo'],
    ['GET', '/_gateway/health/live?verbose', 'verbose'],
    ['GET', '/_gateway/health/ready?x=1', 'x'],
    ['GET', '/_gateway/stats?limit=1&offset=0&sort=path', 'sort'],
    ['POST', '/_gateway/test/1?x=1', 'x'],
    ['GET', '/metrics?name=up', 'name'],
  ])(
    'Errors: an unknown query parameter on its own route %s %s is a 400 problem naming it, with the request id',
    async (method, target, name) => {
      const response = await fetch(`${sut.gateway.url}${target}`, {
        method,
        headers: { 'x-request-id': `unknown-query-${name}` },
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe(
        'application/problem+json',
      );
      expect(response.headers.get('x-request-id')).toBe(
        `unknown-query-${name}`,
      );
      const problem = (await response.json()) as Record<string, unknown>;
      expect(problem).toMatchObject({
        status: 400,
        requestId: `unknown-query-${name}`,
        detail: expect.stringContaining(`"${name}"`),
      });
      expect(sut.upstream.requests).toHaveLength(0);
    },
  );

  it('Errors: the parameters a route documents still work, and a huge unknown name is not echoed', async () => {
    expect(
      (await fetch(`${sut.gateway.url}/_gateway/stats?limit=1&offset=0`))
        .status,
    ).toBe(200);
    const response = await fetch(
      `${sut.gateway.url}/_gateway/status?${'n'.repeat(4_000)}=1`,
    );
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text.length).toBeLessThan(1_000);
    expect(text).not.toContain('n'.repeat(41));
  });

  it('G-1: proxied traffic keeps any query: it is the backend’s to judge', async () => {
    const response = await fetch(
      `${sut.gateway.url}/api/things?foo=1&_gateway=x`,
    );
    expect(response.status).toBe(200);
    expect(sut.upstream.requests.map((r) => r.url)).toEqual([
      '/api/things?foo=1&_gateway=x',
    ]);
  });

  it('treats a client that disconnects mid-body as rejected, forwarding nothing', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(sut.gateway.port, '127.0.0.1', () => {
        socket.write(
          'POST /partial HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    const line = await sut.gateway.waitForLog(
      (l) => l['msg'] === 'request' && l['path'] === '/partial',
    );
    expect(line).toMatchObject({ decision: 'rejected' });
    expect(sut.upstream.requests.some((r) => r.url === '/partial')).toBe(false);
  });
});
