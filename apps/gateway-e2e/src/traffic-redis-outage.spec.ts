import type { AppProcess } from '@gatehouse/shared/testing';
import { eventually } from '@gatehouse/shared/testing';
import { OwnRedis, startOwnRedis } from './support/redis.test-helper';
import {
  startBackend,
  startGateway,
  timedFetch,
} from './support/traffic.test-helper';

describe('G-5/G-11 Redis going away mid-run', () => {
  let redis: OwnRedis;
  let backend: AppProcess;
  let gateway: AppProcess;

  beforeAll(async () => {
    redis = await startOwnRedis();
    backend = await startBackend();
    gateway = await startGateway({
      BACKEND_URL: backend.url,
      REDIS_URL: redis.url,
      DUPLICATE_DELAY_MS: '1500',
      RATE_LIMIT: '1000',
    });
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), backend?.stop(), redis?.stop()]);
  });

  it('keeps forwarding without delay checks, logs the outage once, and readiness reports redis down', async () => {
    expect((await timedFetch(`${gateway.url}/api/before`)).status).toBe(200);
    await redis.stop();
    const results = [];
    for (let i = 0; i < 20; i++)
      results.push(await timedFetch(`${gateway.url}/api/during`));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    // Fail open: no request waited for a dead Redis (nor was held as a replay).
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(1000);

    const ready = await timedFetch(`${gateway.url}/_gateway/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/problem\+json/);
    expect(JSON.parse(ready.body)).toMatchObject({
      status: 503,
      checks: { upstream: 'up', redis: 'down' },
    });
    const live = await timedFetch(`${gateway.url}/_gateway/health/live`);
    expect(live.status).toBe(200);

    const outageLines = gateway.logs.filter((line) =>
      String(line['msg']).startsWith('redis unavailable'),
    );
    expect(outageLines).toHaveLength(1);
    await eventually(
      () => gateway.logs.filter((l) => l['msg'] === 'request').length >= 21,
    );
    expect(gateway.running).toBe(true);
  });
});
