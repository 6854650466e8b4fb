import type { AppProcess } from '@gatehouse/shared/testing';
import { eventually } from '@gatehouse/shared/testing';
import type Redis from 'ioredis';
import {
  ReplicaPair,
  startReplicasOnSharedRedis,
} from './support/redis.test-helper';
import {
  getWithHeaders,
  requestLines,
  timedFetch,
} from './support/traffic.test-helper';

// Two gateway replicas on the machine's Redis, under a prefix of their own.
describe('G-5 replicas share state through Redis', () => {
  let pair: ReplicaPair;
  let prefix: string;
  let redis: Redis;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    pair = await startReplicasOnSharedRedis({
      DUPLICATE_DELAY_MS: '1000',
      STATS_FLUSH_MS: '50',
    });
    ({ prefix, redis, a, b } = pair);
  });
  afterAll(() => pair?.stop());

  it('G-5/G-3: a request to replica A then the same one to replica B is delayed', async () => {
    const host = { host: 'gatehouse.test' };
    const first = await getWithHeaders(`${a.url}/api/replicated?x=1`, host);
    const second = await getWithHeaders(`${b.url}/api/replicated?x=1`, host);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.ms).toBeLessThan(800);
    expect(second.ms).toBeGreaterThanOrEqual(1000);
    const line = await b.waitForLog(
      (l) => l['msg'] === 'request' && l['path'] === '/api/replicated',
    );
    expect(line['decision']).toBe('delayed');
    expect(line['delayMs']).toBeGreaterThanOrEqual(1000);
    // A request in between (on either replica) breaks the run.
    await getWithHeaders(`${a.url}/api/other`, host);
    const third = await getWithHeaders(`${b.url}/api/replicated?x=1`, host);
    expect(third.ms).toBeLessThan(800);
  });

  it('G-10/G-11: statistics and counts add up across replicas', async () => {
    const paths = ['/api/s/b', '/api/s/a', '/api/s/c', '/api/s/a'];
    // A distinct header per request: none of them is a replay.
    let n = 0;
    for (const path of paths) {
      await timedFetch(`${a.url}${path}`, { headers: { 'x-n': String(n++) } });
      await timedFetch(`${b.url}${path}`, { headers: { 'x-n': String(n++) } });
    }
    const stats = await eventually(async () => {
      const page = JSON.parse(
        (await timedFetch(`${b.url}/_gateway/stats?limit=1000`)).body,
      ) as { total: number; paths: { path: string; count: number }[] };
      const mine = page.paths.filter((p) => p.path.startsWith('/api/s/'));
      // Each replica flushes its own batch every STATS_FLUSH_MS.
      const sum = mine.reduce((total, p) => total + p.count, 0);
      return sum === 8 ? mine : undefined;
    });
    expect(stats).toEqual([
      { path: '/api/s/a', count: 4 },
      { path: '/api/s/b', count: 2 },
      { path: '/api/s/c', count: 2 },
    ]);
    // Replica A reports the requests both replicas logged.
    const status = await eventually(async () => {
      const s = JSON.parse((await timedFetch(`${a.url}/_gateway/status`)).body);
      const logged = requestLines(a).length + requestLines(b).length;
      return s.requests.processed === logged ? s : undefined;
    });
    expect(status.requests.delayed).toBeGreaterThanOrEqual(1);
    expect(status).toMatchObject({
      store: 'redis',
      uptimeSeconds: expect.any(Number),
    });
  });

  it('G-5: every key the replicas wrote starts with REDIS_PREFIX and carries a hash tag', async () => {
    const keys = await redis.keys(`${prefix}*`);
    expect(keys).toEqual(
      expect.arrayContaining([
        `${prefix}{stats}:paths`,
        `${prefix}{stats}:counts`,
      ]),
    );
    expect(keys.some((key) => key.startsWith(`${prefix}dup:{`))).toBe(true);
    // The same key layout as on a Redis Cluster, where multi-key commands need one slot.
    for (const key of keys)
      expect(key.slice(prefix.length)).toMatch(/^[^{}]*\{[^{}]+\}/);
  });

  it('G-11: readiness reports the upstream and Redis up', async () => {
    const ready = await timedFetch(`${a.url}/_gateway/health/ready`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({
      status: 'ok',
      checks: { upstream: 'up', redis: 'up' },
    });
  });
});
