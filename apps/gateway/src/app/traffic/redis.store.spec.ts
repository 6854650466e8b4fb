import calculateSlot from 'cluster-key-slot';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { emptyDecisionCounts, PathCount } from './gateway.store';
import { byCountThenPath } from './path-order';
import { duplicateKey, RedisStore } from './redis.store';

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

// The batching logic alone, with the cluster's commands replaced: which command carries which keys.
describe('RedisStore on a cluster: batched swaps', () => {
  let store: RedisStore;

  beforeEach(() => {
    // Nothing listens on port 1: the client never connects, and no command reaches a server.
    store = new RedisStore({
      clusterNodes: [{ host: '127.0.0.1', port: 1 }],
      prefix: 'p:',
      duplicateTtlMs: 60_000,
      commandTimeoutMs: 100,
      maxPaths: 100,
    });
  });
  afterEach(() => store.close());

  it('G-5: one turn of swaps is one command per slot, never a script across slots (no CROSSSLOT)', async () => {
    const client = store.client as unknown as {
      set: jest.Mock;
      swapLastRequests: jest.Mock;
    };
    const previous = new Map<string, string | null>();
    client.set = jest.fn(async (key: string, value: string) => {
      const before = previous.get(key) ?? null;
      previous.set(key, value);
      return before;
    });
    client.swapLastRequests = jest.fn(
      async (count: number, ...args: (string | number)[]) => {
        const keys = args.slice(0, count) as string[];
        return keys.map((key, i) => {
          const before = previous.get(key) ?? null;
          previous.set(key, args[count + i] as string);
          return before;
        });
      },
    );
    // Clients on different slots, one of them twice.
    const clients = ['1.1.1.1', '2.2.2.2', '1.1.1.1', '3.3.3.3', '4.4.4.4'];
    const slots = new Set(
      clients.map((client) => calculateSlot(`p:${duplicateKey(client)}`)),
    );
    expect(slots.size).toBe(4);
    const results = await Promise.all(
      clients.map((client, i) => store.swapLastRequest(client, `f${i}`)),
    );
    // Arrival order per client holds: the second swap of 1.1.1.1 sees the first.
    expect(results).toEqual([null, null, 'f0', null, null]);
    expect(client.set).toHaveBeenCalledTimes(3);
    expect(client.swapLastRequests).toHaveBeenCalledTimes(1);
    const [count, ...args] = client.swapLastRequests.mock.calls[0];
    expect(count).toBe(2);
    expect(args.slice(0, 2)).toEqual([
      duplicateKey('1.1.1.1'),
      duplicateKey('1.1.1.1'),
    ]);
    const keys = [...client.set.mock.calls.map((call) => call[0]), ...args];
    for (const key of keys.slice(0, 5)) expect(key).toMatch(/^dup:\{[^{}]+\}$/);
  });
});
