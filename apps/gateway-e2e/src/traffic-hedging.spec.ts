import type { AppProcess } from '@gatehouse/shared/testing';
import {
  requestLines,
  scenario,
  startBackend,
  startGateway,
  timedFetch,
  workTimestamps,
} from './support/traffic.test-helper';

describe('G-7 hedged requests (GET /api/smart) against the real backend', () => {
  let backend: AppProcess;
  let gateway: AppProcess;

  beforeAll(async () => {
    backend = await startBackend();
    gateway = await startGateway({
      BACKEND_URL: backend.url,
      // Wide enough that timing assertions keep their meaning on a loaded machine.
      HEDGE_AFTER_MS: '500',
      HEDGE_EXTRA: '2',
      DUPLICATE_DELAY_MS: '0',
      HEDGE_ROUTES: '/api/work',
    });
  });
  afterAll(() => Promise.all([gateway?.stop(), backend?.stop()]));

  it('fires extra copies after HEDGE_AFTER_MS and answers with the first success', async () => {
    await scenario(backend, [
      [{ copy: 1 }, 200, 2000],
      [{ copy: 2 }, 200, 50],
      [{ copy: 3 }, 200, 1500],
    ]);
    const result = await timedFetch(`${gateway.url}/api/smart`);
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ copy: 2 });
    expect(result.headers.get('x-hedge-copies')).toBe('3');
    expect(result.ms).toBeGreaterThanOrEqual(540);
    expect(result.ms).toBeLessThan(1500);
    // Arrival times at the backend: the first copy can arrive late on a loaded machine, which
    // narrows the gap; the extra copies still wait most of HEDGE_AFTER_MS.
    const [first, second, third] = await workTimestamps(backend);
    expect(second - first).toBeGreaterThanOrEqual(400);
    expect(third - first).toBeGreaterThanOrEqual(400);
    const line = await gateway.waitForLog(
      (l) => l['msg'] === 'request' && l['path'] === '/api/smart',
    );
    expect(line).toMatchObject({ decision: 'forwarded', upstreamStatus: 200 });
  });

  it('an early failure of the first copy fires the extras at once', async () => {
    await scenario(backend, [
      [{ error: true }, 500, 0],
      [{ copy: 2 }, 200, 30],
      [{ copy: 3 }, 200, 30],
    ]);
    const result = await timedFetch(`${gateway.url}/api/smart`);
    expect(result.status).toBe(200);
    expect(result.ms).toBeLessThan(450);
    expect(await workTimestamps(backend)).toHaveLength(3);
  });

  it('all copies failing is a 502 problem, logged as failed', async () => {
    await scenario(backend, [
      [{ e: 1 }, 503, 0],
      [{ e: 2 }, 500, 0],
      [{ e: 3 }, 500, 0],
    ]);
    // Counted by request id: a line of an earlier test may still be arriving.
    const requestId = 'hedge-all-failed';
    const result = await timedFetch(`${gateway.url}/api/smart`, {
      headers: { 'x-request-id': requestId },
    });
    expect(result.status).toBe(502);
    expect(result.headers.get('content-type')).toMatch(/problem\+json/);
    expect(JSON.parse(result.body)).toMatchObject({
      status: 502,
      instance: '/api/smart',
    });
    const line = await gateway.waitForLog(
      (l) => l['msg'] === 'request' && l['requestId'] === requestId,
    );
    expect(line).toMatchObject({ decision: 'failed', status: 502 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(
      requestLines(gateway).filter((l) => l['requestId'] === requestId),
    ).toHaveLength(1);
  });

  it('?timeout bounds the whole call with a 504 problem', async () => {
    await scenario(backend, [
      [{}, 200, 3000],
      [{}, 200, 3000],
      [{}, 200, 3000],
    ]);
    const result = await timedFetch(`${gateway.url}/api/smart?timeout=350`);
    expect(result.status).toBe(504);
    expect(result.ms).toBeGreaterThanOrEqual(340);
    expect(result.ms).toBeLessThan(1000);
    expect(JSON.parse(result.body)).toMatchObject({ status: 504 });
  });

  it.each(['timeout=0', 'timeout=abc', 'timeout=1.5', 'timeout=', 'x=1'])(
    'rejects ?%s with 400',
    async (query) => {
      const result = await timedFetch(`${gateway.url}/api/smart?${query}`);
      expect(result.status).toBe(400);
      expect(result.headers.get('content-type')).toMatch(/problem\+json/);
    },
  );

  it('hedges only idempotent methods: POST /api/smart is 405', async () => {
    const result = await timedFetch(`${gateway.url}/api/smart`, {
      method: 'POST',
    });
    expect(result.status).toBe(405);
    expect(result.headers.get('allow')).toBe('GET, HEAD');
  });

  it('HEDGE_ROUTES switches the same policy on for another GET route', async () => {
    await scenario(backend, [
      [{ copy: 1 }, 200, 2000],
      [{ copy: 2 }, 200, 0],
    ]);
    const result = await timedFetch(`${gateway.url}/api/work`);
    expect(JSON.parse(result.body)).toEqual({ copy: 2 });
    expect(result.ms).toBeLessThan(1500);
  });
});
