import { gzipSync } from 'node:zlib';
import {
  GatewayUnderTest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

async function post(
  sut: GatewayUnderTest,
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  method = 'POST',
) {
  const response = await fetch(`${sut.gateway.url}/api/items`, {
    method,
    body,
    headers,
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: await response.text(),
  };
}

describe('G-2 malicious payloads are blocked', () => {
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      MAX_BODY_BYTES: '4096',
      MAX_JSON_DEPTH: '32',
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => sut.stop());
  beforeEach(() => sut.upstream.requests.splice(0));

  it.each([
    ['top-level true', '{"is_malicious": true}'],
    ['non-zero number', '{"is_malicious": 1}'],
    ['negative float', '{"is_malicious": -0.5}'],
    ['tiny exponent', '{"is_malicious": 1e-400}'],
    ['string "true" in any case', '{"is_malicious": "TrUe"}'],
    ['nested deep', '{"a":{"b":{"c":[1,{"is_malicious":true}]}}}'],
    ['inside an array at the top', '[{"x":1},{"is_malicious":true}]'],
    [
      'duplicate key, flag first',
      '{"is_malicious": true, "is_malicious": false}',
    ],
    [
      'duplicate key, flag last',
      '{"is_malicious": false, "is_malicious": true}',
    ],
    ['UTF-8 BOM', '\uFEFF{"is_malicious": true}'],
    ['under __proto__', '{"__proto__": {"is_malicious": true}}'],
    ['escaped key', '{"is_malici\\u006fus": true}'],
    ['escaped string value', '{"is_malicious": "\\u0074rue"}'],
  ])('%s → 401 problem+json, nothing forwarded', async (_name, body) => {
    const response = await post(sut, body);
    expect(response.status).toBe(401);
    expect(response.type).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({
      status: 401,
      type: expect.stringContaining('malicious-payload'),
    });
    expect(sut.upstream.requests).toHaveLength(0);
  });

  it.each([
    ['application/vnd.api+json', '{"is_malicious": true}'],
    ['Application/JSON; charset=utf-8', '{"is_malicious": true}'],
  ])('inspects content type %s', async (contentType, body) => {
    expect(
      (await post(sut, body, { 'content-type': contentType })).status,
    ).toBe(401);
  });

  it('inspects a gzip-encoded JSON body', async () => {
    const body = gzipSync(Buffer.from('{"is_malicious": true}'));
    expect(
      (
        await post(sut, body, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        })
      ).status,
    ).toBe(401);
  });

  it.each([
    ['false', '{"is_malicious": false}'],
    ['zero', '{"is_malicious": 0}'],
    ['string "false"', '{"is_malicious": "false"}'],
    ['string "yes"', '{"is_malicious": "yes"}'],
    ['object value', '{"is_malicious": {"really": true}}'],
    ['as a value, not a key', '{"note": "is_malicious"}'],
  ])('forwards a non-flag value (%s)', async (_name, body) => {
    expect((await post(sut, body)).status).toBe(200);
    expect(sut.upstream.requests[0].body.toString()).toBe(body);
  });

  it('forwards invalid JSON byte for byte: the backend decides', async () => {
    const body = '{"is_malicious": true,,}';
    expect((await post(sut, body)).status).toBe(200);
    expect(sut.upstream.requests[0].body.toString()).toBe(body);
  });

  it('forwards bodies that are not JSON, and other methods, uninspected', async () => {
    expect(
      (
        await post(sut, 'is_malicious=true', {
          'content-type': 'text/plain',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await post(
          sut,
          '{"is_malicious": true}',
          { 'content-type': 'application/json' },
          'PUT',
        )
      ).status,
    ).toBe(200);
  });

  it('answers 400 for nesting deeper than the bound', async () => {
    const response = await post(sut, `${'['.repeat(40)}${']'.repeat(40)}`);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).type).toContain('json-too-deep');
    expect(sut.upstream.requests).toHaveLength(0);
  });

  it('answers 413 for a JSON body too large to inspect, never a blind forward', async () => {
    const response = await post(
      sut,
      JSON.stringify({ pad: 'x'.repeat(10_000), is_malicious: true }),
    );
    expect(response.status).toBe(413);
    expect(response.type).toBe('application/problem+json');
    expect(sut.upstream.requests).toHaveLength(0);
  });

  it('answers 415 for a JSON body in an encoding it cannot inspect', async () => {
    const response = await post(sut, 'xx', {
      'content-type': 'application/json',
      'content-encoding': 'compress',
    });
    expect(response.status).toBe(415);
    expect(sut.upstream.requests).toHaveLength(0);
  });

  it('logs blocked requests with decision "blocked"', async () => {
    await post(sut, '{"is_malicious": 1}', {
      'content-type': 'application/json',
      'x-request-id': 'blocked-1',
    });
    const line = await sut.gateway.waitForLog(
      (l) => l['requestId'] === 'blocked-1',
    );
    expect(line).toMatchObject({
      decision: 'blocked',
      status: 401,
      upstreamStatus: null,
      method: 'POST',
      path: '/api/items',
    });
  });
});
