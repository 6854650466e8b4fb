import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { emptyDecisionCounts, PathCount } from './gateway.store';
import { byCountThenPath } from './path-order';
import { RedisStore } from './redis.store';

const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

// Runs against the machine's real Redis under a unique prefix, and removes its keys afterwards.
describe('RedisStore (real Redis)', () => {
  const prefix = `gatehouse-test:${randomUUID()}:`;
  let store: RedisStore;
  let admin: Redis;

  beforeAll(async () => {
    admin = new Redis(REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await admin.connect();
    } catch {
      throw new Error(
        `Redis is not reachable at ${REDIS_URL}: start it (e.g. "redis-server --daemonize yes" or "sudo service redis-server start") or set TEST_REDIS_URL`,
      );
    }
    store = new RedisStore({
      url: new URL(REDIS_URL),
      prefix,
      duplicateTtlMs: 60_000,
      commandTimeoutMs: 1_000,
      maxPaths: 100_000,
    });
    await store.connected(2_000);
  });

  afterAll(async () => {
    await store?.close();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });

  it('G-5: swaps atomically and keeps every key under the prefix', async () => {
    expect(await store.swapLastRequest('1.2.3.4', 'x')).toBeNull();
    expect(await store.swapLastRequest('1.2.3.4', 'x')).toBe('x');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.swapLastRequest('5.6.7.8', 'y')),
    );
    // Exactly one of the concurrent identical requests saw no predecessor.
    expect(results.filter((r) => r === null)).toHaveLength(1);
    const ttl = await admin.pttl(`${prefix}dup:{1.2.3.4}`);
    expect(ttl).toBeGreaterThan(50_000);
  });

  it('G-3: swaps asked for together are decided in arrival order', async () => {
    const previous = await Promise.all([
      store.swapLastRequest('9.9.9.9', 'a'),
      store.swapLastRequest('9.9.9.9', 'b'),
      store.swapLastRequest('8.8.8.8', 'c'),
      store.swapLastRequest('9.9.9.9', 'b'),
    ]);
    expect(previous).toEqual([null, 'a', null, 'b']);
    expect(await admin.get(`${prefix}dup:{9.9.9.9}`)).toBe('b');
    expect(await admin.pttl(`${prefix}dup:{8.8.8.8}`)).toBeGreaterThan(50_000);
  });

  it('G-11: sums decision counts', async () => {
    await store.addTraffic(
      { ...emptyDecisionCounts(), forwarded: 3, failed: 1 },
      new Map(),
    );
    await store.addTraffic(
      { ...emptyDecisionCounts(), forwarded: 1 },
      new Map(),
    );
    expect(await store.decisionCounts()).toMatchObject({
      forwarded: 4,
      failed: 1,
      blocked: 0,
    });
  });

  it('G-10: pages by count descending then path ascending, ties cut at page edges included', async () => {
    const expected: PathCount[] = [];
    const batch = new Map<string, number>();
    // Groups of equal counts, so every page boundary falls inside a tie.
    for (let i = 0; i < 60; i++) {
      const path = `/p/${String.fromCharCode(97 + (i % 26))}${i}`;
      const count = 1 + (i % 4);
      batch.set(path, count);
      expected.push({ path, count });
    }
    await store.addTraffic(emptyDecisionCounts(), batch);
    expected.sort(byCountThenPath);
    for (const [offset, limit] of [
      [0, 60],
      [0, 7],
      [7, 7],
      [13, 20],
      [50, 20],
      [59, 1],
      [60, 5],
    ]) {
      const page = await store.topPaths(offset, limit);
      expect(page.total).toBe(60);
      expect(page.paths).toEqual(expected.slice(offset, offset + limit));
    }
  });

  it('G-5: readiness pings Redis', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
