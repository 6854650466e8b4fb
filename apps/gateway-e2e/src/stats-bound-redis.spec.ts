import { eventually } from '@gatehouse/shared/testing';
import type Redis from 'ioredis';
import {
  GatewayUnderTest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';
import {
  connectSharedRedis,
  deleteKeys,
  SHARED_REDIS_URL,
  uniquePrefix,
} from './support/redis.test-helper';

interface Page {
  total: number;
  paths: { path: string; count: number }[];
}

describe('G-10 statistics are bounded in Redis too (STATS_MAX_PATHS)', () => {
  const prefix = uniquePrefix();
  let redis: Redis;
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    redis = await connectSharedRedis();
    sut = await startGatewayWithRecorder({
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_PREFIX: prefix,
      STATS_MAX_PATHS: '100',
      STATS_FLUSH_MS: '50',
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(async () => {
    await sut?.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  const page = async (offset: number, limit: number): Promise<Page> =>
    (await (
      await fetch(
        `${sut.gateway.url}/_gateway/stats?offset=${offset}&limit=${limit}`,
      )
    ).json()) as Page;

  it('trims the lowest counts under a flood of random paths, and pages stay correct', async () => {
    for (let i = 0; i < 30; i++) await fetch(`${sut.gateway.url}/hot`);
    // The load generator sends requests to random /api/* paths through the gateway.
    const load = await fetch(`${sut.gateway.url}/_gateway/test/400`, {
      method: 'POST',
    });
    expect(load.status).toBe(202);
    await eventually(
      () => (sut.upstream.requests.length >= 430 ? true : undefined),
      60_000,
      'the 400 generated requests to reach the upstream',
    );
    const cardinality = await eventually(
      async () => {
        const first = await page(0, 1000);
        return first.paths.some((p) => p.path === '/hot') && first.total === 100
          ? first.total
          : undefined;
      },
      20_000,
      'the trimmed ranking',
    );
    expect(cardinality).toBe(100);
    expect(await redis.zcard(`${prefix}{stats}:paths`)).toBeLessThanOrEqual(
      100,
    );
    const [front, back] = await Promise.all([page(0, 50), page(50, 50)]);
    expect(front.paths[0]).toEqual({ path: '/hot', count: 30 });
    expect(front.paths).toHaveLength(50);
    expect(back.paths).toHaveLength(50);
    const all = [...front.paths, ...back.paths];
    expect(new Set(all.map((p) => p.path)).size).toBe(100);
    const sorted = [...all].sort(
      (x, y) => y.count - x.count || (x.path < y.path ? -1 : 1),
    );
    expect(all).toEqual(sorted);
  }, 90_000);
});
