import { performance } from 'node:perf_hooks';
import {
  GatewayUnderTest,
  rawRequest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

interface Timed {
  status: number;
  ms: number;
  requestId: string;
  retryAfter: string | null;
}

async function send(
  sut: GatewayUnderTest,
  init: {
    path?: string;
    method?: string;
    body?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(
    `${sut.gateway.url}${init.path ?? '/api/orders?id=7'}`,
    {
      method: init.method ?? 'POST',
      body: init.body ?? '{"order":7}',
      headers: { 'content-type': 'application/json', ...init.headers },
    },
  );
  await response.arrayBuffer();
  return {
    status: response.status,
    ms: performance.now() - started,
    requestId: response.headers.get('x-request-id') ?? '',
    retryAfter: response.headers.get('retry-after'),
  };
}

async function logOf(sut: GatewayUnderTest, requestId: string) {
  return sut.gateway.waitForLog(
    (line) => line['msg'] === 'request' && line['requestId'] === requestId,
  );
}

describe('G-3 an exact replay is delayed', () => {
  describe('with the default delay', () => {
    let sut: GatewayUnderTest;
    beforeAll(async () => {
      sut = await startGatewayWithRecorder({ TRUST_PROXY: '1' });
    });
    afterAll(() => sut.stop());

    it('holds the second identical request for 2.000–2.010 s, then forwards it', async () => {
      const client = { 'x-forwarded-for': '198.51.100.1' };
      const first = await send(sut, { headers: client });
      const second = await send(sut, { headers: client });
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(first.ms).toBeLessThan(1000);
      expect(second.ms).toBeGreaterThanOrEqual(2000);
      const line = await logOf(sut, second.requestId);
      expect(line).toMatchObject({ decision: 'delayed', upstreamStatus: 200 });
      expect(line['delayMs']).toBeGreaterThanOrEqual(2000);
      expect(line['delayMs']).toBeLessThanOrEqual(2010);
      expect(
        sut.upstream.requests.filter((r) => r.url === '/api/orders?id=7'),
      ).toHaveLength(2);
    });

    it('holding one client blocks nobody else', async () => {
      const held = { 'x-forwarded-for': '198.51.100.2' };
      await send(sut, { headers: held });
      const holding = send(sut, { headers: held });
      const other = await send(sut, {
        headers: { 'x-forwarded-for': '198.51.100.3' },
      });
      expect(other.ms).toBeLessThan(1000);
      expect((await holding).ms).toBeGreaterThanOrEqual(2000);
    });
  });

  describe('what counts as the exact same request', () => {
    let sut: GatewayUnderTest;
    beforeAll(async () => {
      sut = await startGatewayWithRecorder({
        TRUST_PROXY: '1',
        DUPLICATE_DELAY_MS: '600',
      });
    });
    afterAll(() => sut.stop());

    let clientNo = 0;
    const freshClient = () => ({
      'x-forwarded-for': `203.0.113.${++clientNo}`,
    });

    it('another request in between resets it', async () => {
      const client = freshClient();
      await send(sut, { headers: client });
      await send(sut, { headers: client, path: '/api/other' });
      expect((await send(sut, { headers: client })).ms).toBeLessThan(500);
    });

    it('a blocked request in between resets it too', async () => {
      const client = freshClient();
      await send(sut, { headers: client });
      const blocked = await send(sut, {
        headers: client,
        body: '{"is_malicious": true}',
      });
      expect(blocked.status).toBe(401);
      expect((await send(sut, { headers: client })).ms).toBeLessThan(500);
    });

    it.each([
      ['a different body', { body: '{"order":8}' }],
      ['a different query', { path: '/api/orders?id=8' }],
      ['a different method', { method: 'PUT' }],
      ['one more header', { headers: { 'x-extra': '1' } }],
      [
        'a header value differing in case',
        { headers: { 'content-type': 'Application/json' } },
      ],
    ])('%s is not a replay', async (_name, change) => {
      const client = freshClient();
      await send(sut, { headers: client });
      const next = await send(sut, {
        ...change,
        headers: {
          ...client,
          ...(change as { headers?: Record<string, string> }).headers,
        },
      });
      expect(next.ms).toBeLessThan(500);
    });

    it('header name case and hop-by-hop headers do not make a difference', async () => {
      // Raw bytes: fetch refuses to send hop-by-hop headers at all.
      const request = (trace: string, extra: string) =>
        `POST /api/orders?id=7 HTTP/1.1\r\nHost: gw\r\n${trace}: abc\r\nX-Forwarded-For: 203.0.113.200\r\ncontent-type: application/json\r\ncontent-length: 11\r\n${extra}Connection: close\r\n\r\n{"order":7}`;
      await rawRequest(sut.gateway.port, request('X-Trace', ''));
      const started = performance.now();
      const second = await rawRequest(
        sut.gateway.port,
        request('x-trace', 'Keep-Alive: timeout=9\r\nTE: trailers\r\n'),
      );
      expect(second.status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(600);
    });

    it('another client sending the same request is not a replay', async () => {
      await send(sut, { headers: freshClient() });
      expect((await send(sut, { headers: freshClient() })).ms).toBeLessThan(
        500,
      );
    });

    it('decides concurrent identical requests atomically: exactly one is held', async () => {
      const client = freshClient();
      const results = await Promise.all([
        send(sut, { headers: client }),
        send(sut, { headers: client }),
      ]);
      const held = results.filter((result) => result.ms >= 600);
      expect(held).toHaveLength(1);
    });
  });

  describe('the number of held requests is bounded', () => {
    let sut: GatewayUnderTest;
    beforeAll(async () => {
      sut = await startGatewayWithRecorder({
        TRUST_PROXY: '1',
        DUPLICATE_DELAY_MS: '1500',
        MAX_HELD: '2',
      });
    });
    afterAll(() => sut.stop());

    it('answers 429 with Retry-After past the bound', async () => {
      const clients = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((ip) => ({
        'x-forwarded-for': ip,
      }));
      await Promise.all(clients.map((headers) => send(sut, { headers })));
      // Two replays fill the hold; a third replay finds it full.
      const holding = [
        send(sut, { headers: clients[0] }),
        send(sut, { headers: clients[1] }),
      ];
      await sleepThen(300);
      const third = await send(sut, { headers: clients[2] });
      expect(third.status).toBe(429);
      expect(third.retryAfter).toBe('2');
      const line = await logOf(sut, third.requestId);
      expect(line).toMatchObject({ decision: 'rejected', status: 429 });
      expect(
        (await Promise.all(holding)).map((result) => result.status),
      ).toEqual([200, 200]);
    });
  });
});

function sleepThen(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
