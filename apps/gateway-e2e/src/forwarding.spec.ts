import { randomBytes, createHash } from 'node:crypto';
import { request } from 'node:http';
import {
  GatewayUnderTest,
  rawRequest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('G-1 forwarding is transparent', () => {
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    sut = await startGatewayWithRecorder({ MAX_BODY_BYTES: '65536' });
  });
  afterAll(() => sut.stop());
  beforeEach(() => sut.upstream.requests.splice(0));

  it('forwards a random 200 kB binary body, method and request-target byte for byte', async () => {
    const body = randomBytes(200 * 1024);
    const target = "/files/a%2Fb//c;v=1?x=%zz&y=%E2%82%AC&z=a+b&&=!$'()*,";
    // node:http sends the request-target as given; fetch would re-encode it.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: sut.gateway.port,
          path: target,
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    const received = sut.upstream.requests[0];
    expect(received.method).toBe('PUT');
    expect(received.url).toBe(target);
    expect(sha(received.body)).toBe(sha(body));
  });

  it('streams a chunked body larger than the inspection bound untouched', async () => {
    const body = randomBytes(1024 * 1024);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${sut.gateway.url}/upload`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      for (let offset = 0; offset < body.length; offset += 100_000)
        req.write(body.subarray(offset, offset + 100_000));
      req.end();
    });
    expect(status).toBe(200);
    expect(sut.upstream.requests[0].headers['transfer-encoding']).toBe(
      'chunked',
    );
    expect(sha(sut.upstream.requests[0].body)).toBe(sha(body));
  });

  it('keeps end-to-end headers in order and case, drops hop-by-hop ones, appends X-Forwarded-*', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      [
        'GET /h HTTP/1.1',
        'Host: public.example',
        'X-Custom: One',
        'Connection: keep-alive, X-Hop-Only',
        'X-Hop-Only: secret-to-this-hop',
        'Keep-Alive: timeout=5',
        'TE: trailers',
        'Proxy-Authorization: Basic abc',
        'x-custom: Two',
        'X-Forwarded-For: 203.0.113.7',
        'Accept-Encoding: gzip',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
    );
    expect(response.status).toBe(200);
    const { rawHeaders, headers } = sut.upstream.requests[0];
    const pairs: string[] = [];
    for (let i = 0; i < rawHeaders.length; i += 2)
      pairs.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
    expect(pairs).toEqual(
      expect.arrayContaining([
        'X-Custom: One',
        'x-custom: Two',
        'Accept-Encoding: gzip',
      ]),
    );
    expect(pairs.indexOf('X-Custom: One')).toBeLessThan(
      pairs.indexOf('x-custom: Two'),
    );
    for (const hop of ['x-hop-only', 'keep-alive', 'te', 'proxy-authorization'])
      expect(headers[hop]).toBeUndefined();
    expect(headers['host']).toBe(new URL(sut.upstream.url).host);
    expect(headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe('public.example');
  });

  it('returns the upstream status, headers and body unaltered, minus hop-by-hop headers', async () => {
    const payload = randomBytes(5000);
    sut.upstream.respond((_req, res) => {
      res.writeHead(418, [
        ['Content-Type', 'application/x-teapot'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
        ['X-Upstream', 'yes'],
        ['Connection', 'X-Internal'],
        ['X-Internal', 'do-not-leak'],
        ['Content-Length', String(payload.length)],
      ]);
      res.end(payload);
    });
    const response = await fetch(`${sut.gateway.url}/teapot`);
    expect(response.status).toBe(418);
    expect(response.headers.get('content-type')).toBe('application/x-teapot');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('x-upstream')).toBe('yes');
    expect(response.headers.get('x-internal')).toBeNull();
    expect(sha(Buffer.from(await response.arrayBuffer()))).toBe(sha(payload));
    sut.upstream.respond((_req, res) => res.end('{"ok":true}'));
  });

  it.each([
    ['//evil.example/x'],
    ['/\\evil'],
    ['/..//evil.example/%2e%2e/x'],
    ['/@evil.example/x'],
  ])('keeps %s a path on the configured upstream', async (target) => {
    const response = await rawRequest(
      sut.gateway.port,
      `GET ${target} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(200);
    expect(sut.upstream.requests[0].url).toBe(target);
    expect(sut.upstream.requests[0].headers['host']).toBe(
      new URL(sut.upstream.url).host,
    );
  });

  it('passes X-Request-Id upstream and back, generating one when absent', async () => {
    const given = await fetch(`${sut.gateway.url}/id`, {
      headers: { 'x-request-id': 'trace-42' },
    });
    expect(given.headers.get('x-request-id')).toBe('trace-42');
    expect(sut.upstream.requests[0].headers['x-request-id']).toBe('trace-42');
    const generated = await fetch(`${sut.gateway.url}/id2`, {
      headers: { 'x-request-id': 'bad id\twith tab' },
    });
    const id = generated.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sut.upstream.requests[1].headers['x-request-id']).toBe(id);
  });
});
