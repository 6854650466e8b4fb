import { eventually } from '@gatehouse/shared/testing';
import {
  GatewayUnderTest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';
import { timedFetch } from './support/traffic.test-helper';

interface Page {
  total: number;
  paths: { path: string; count: number }[];
}

describe('G-10/G-11 statistics, status and metrics (in-memory store)', () => {
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      DUPLICATE_DELAY_MS: '0',
      STATS_FLUSH_MS: '50',
      LOAD_TEST_MAX: '500',
    });
  });
  afterAll(() => sut.stop());

  const stats = async (query = ''): Promise<Page> =>
    JSON.parse(
      (await timedFetch(`${sut.gateway.url}/_gateway/stats${query}`)).body,
    );

  it('G-10: counts by path (query ignored), sorted by count desc then path asc', async () => {
    for (const target of ['/z', '/m?x=1', '/m?x=2', '/a', '/z', '/b', '/b'])
      await timedFetch(`${sut.gateway.url}${target}`);
    expect(await stats()).toEqual({
      total: 4,
      paths: [
        { path: '/b', count: 2 },
        { path: '/m', count: 2 },
        { path: '/z', count: 2 },
        { path: '/a', count: 1 },
      ],
    });
    expect(await stats('?limit=2&offset=1')).toEqual({
      total: 4,
      paths: [
        { path: '/m', count: 2 },
        { path: '/z', count: 2 },
      ],
    });
  });

  it.each(['?limit=0', '?limit=1001', '?offset=-1', '?limit=x', '?sort=count'])(
    'G-10: GET /_gateway/stats%s is a 400 problem',
    async (query) => {
      const result = await timedFetch(
        `${sut.gateway.url}/_gateway/stats${query}`,
      );
      expect(result.status).toBe(400);
      expect(result.headers.get('content-type')).toMatch(/problem\+json/);
    },
  );

  it('G-10: POST /_gateway/test/<n> answers 202 and drives n requests to /api/* through the gateway', async () => {
    const result = await timedFetch(`${sut.gateway.url}/_gateway/test/40`, {
      method: 'POST',
    });
    expect(result.status).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ accepted: 40 });
    const page = await eventually(async () => {
      const p = await stats('?limit=1000');
      const api = p.paths
        .filter((entry) => entry.path.startsWith('/api/'))
        .reduce((sum, entry) => sum + entry.count, 0);
      return api === 40 ? p : undefined;
    });
    expect(
      page.paths.every((p) => p.path.startsWith('/api/') || p.path.length <= 2),
    ).toBe(true);
    expect(
      sut.upstream.requests.filter((r) => r.url.startsWith('/api/')),
    ).toHaveLength(40);
  });

  it.each(['0', '-1', 'abc', '1.5', '501', '99999999999'])(
    'G-10: POST /_gateway/test/%s is a 400 problem',
    async (n) => {
      const result = await timedFetch(`${sut.gateway.url}/_gateway/test/${n}`, {
        method: 'POST',
      });
      expect(result.status).toBe(400);
      expect(result.headers.get('content-type')).toMatch(/problem\+json/);
    },
  );

  it('G-11: /_gateway/status reports uptime and counts by decision', async () => {
    const body = '{"is_malicious": true}';
    await timedFetch(`${sut.gateway.url}/bad`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const status = await eventually(async () => {
      const s = JSON.parse(
        (await timedFetch(`${sut.gateway.url}/_gateway/status`)).body,
      );
      return s.requests.blocked === 1 ? s : undefined;
    });
    expect(status).toMatchObject({
      uptimeSeconds: expect.any(Number),
      store: 'memory',
      requests: {
        processed: 48,
        forwarded: 47,
        blocked: 1,
        delayed: 0,
        rejected: 0,
        failed: 0,
      },
    });
  });

  it('G-11: /metrics serves request counters by decision and latency histograms', async () => {
    const result = await timedFetch(`${sut.gateway.url}/metrics`);
    expect(result.status).toBe(200);
    expect(result.body).toMatch(
      /gateway_requests_total\{decision="forwarded"\} 47/,
    );
    expect(result.body).toMatch(
      /gateway_requests_total\{decision="blocked"\} 1/,
    );
    expect(result.body).toMatch(
      /gateway_request_duration_seconds_bucket\{le="0.1",decision="forwarded"\} \d+/,
    );
  });

  it('G-11: readiness checks the upstream (no Redis configured)', async () => {
    const result = await timedFetch(`${sut.gateway.url}/_gateway/health/ready`);
    expect(JSON.parse(result.body)).toEqual({
      status: 'ok',
      checks: { upstream: 'up' },
    });
  });
});
