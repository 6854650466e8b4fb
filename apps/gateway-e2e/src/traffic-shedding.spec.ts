import type { AppProcess } from '@gatehouse/shared/testing';
import type Redis from 'ioredis';
import {
  GatewayUnderTest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';
import {
  ReplicaPair,
  startReplicasOnSharedRedis,
} from './support/redis.test-helper';
import { timedFetch } from './support/traffic.test-helper';

describe('G-6 shedding and per-client rate limits', () => {
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      MAX_IN_FLIGHT: '2',
      RATE_LIMIT: '8',
      RATE_LIMIT_WINDOW_MS: '3000',
      DUPLICATE_DELAY_MS: '0',
    });
    sut.upstream.respond((_req, res) => {
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end('{"slow":true}');
      }, 400);
    });
  });
  afterAll(() => sut.stop());

  it('G-6: past MAX_IN_FLIGHT concurrent slow requests get 503 problem+json with Retry-After', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        timedFetch(`${sut.gateway.url}/slow/${i}`),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503, 503]);
    const shed = results.find((r) => r.status === 503);
    expect(shed?.headers.get('retry-after')).toBe('1');
    expect(shed?.headers.get('content-type')).toMatch(/problem\+json/);
    expect(sut.upstream.requests).toHaveLength(2);
  });

  it('G-6: past RATE_LIMIT requests in the window a client gets 429 with Retry-After', async () => {
    // 5 were counted above; 3 more reach the limit.
    for (let i = 0; i < 3; i++)
      expect((await timedFetch(`${sut.gateway.url}/r/${i}`)).status).toBe(200);
    const limited = await timedFetch(`${sut.gateway.url}/r/x`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(
      1,
    );
    expect(JSON.parse(limited.body)).toMatchObject({
      status: 429,
      type: expect.stringContaining('rate-limited'),
    });
    const line = await sut.gateway.waitForLog(
      (l) => l['msg'] === 'request' && l['path'] === '/r/x',
    );
    expect(line).toMatchObject({ decision: 'rejected', status: 429 });
  });
});

describe('G-5/G-6 the rate limit is shared by replicas through Redis', () => {
  let pair: ReplicaPair;
  let prefix: string;
  let redis: Redis;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    pair = await startReplicasOnSharedRedis({
      RATE_LIMIT: '4',
      RATE_LIMIT_WINDOW_MS: '10000',
      DUPLICATE_DELAY_MS: '0',
    });
    ({ prefix, redis, a, b } = pair);
  });
  afterAll(() => pair?.stop());

  it('requests on two replicas count against one limit', async () => {
    const statuses = [];
    for (const replica of [a, b, a, b, a])
      statuses.push((await timedFetch(`${replica.url}/api/limited`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect((await timedFetch(`${b.url}/api/limited`)).status).toBe(429);
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.some((key) => key.includes('rl:'))).toBe(true);
  });
});
