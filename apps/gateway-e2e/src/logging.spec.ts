import {
  GatewayUnderTest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

describe('G-4 one structured log line per request', () => {
  let sut: GatewayUnderTest;
  beforeAll(async () => {
    sut = await startGatewayWithRecorder({ DUPLICATE_DELAY_MS: '0' });
  });
  afterAll(() => sut.stop());

  it('boots without a warning (no legacy route syntax under the admin prefix)', () => {
    const boot = sut.gateway.logs.filter(
      (l) => l['level'] === 'warn' || l['level'] === 'error',
    );
    expect(boot).toEqual([]);
    expect(JSON.stringify(sut.gateway.logs)).not.toContain(
      'LegacyRouteConverter',
    );
  });

  it('writes exactly one line per request with every field, and never a secret or a body', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `log-${i}`);
    await Promise.all(
      ids.map((id, i) =>
        fetch(`${sut.gateway.url}/logged/${i}?token=query-secret`, {
          method: 'POST',
          body: 'body-secret-bytes',
          headers: {
            'x-request-id': id,
            authorization: 'Bearer auth-secret',
            cookie: 'sid=cookie-secret',
          },
        }).then((r) => r.arrayBuffer()),
      ),
    );
    await sut.gateway.waitForLog((l) => l['requestId'] === 'log-19');
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const id of ids) {
      const lines = sut.requestLines().filter((l) => l['requestId'] === id);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 'info',
        service: 'gateway',
        client: '127.0.0.1',
        method: 'POST',
        decision: 'forwarded',
        status: 200,
        upstreamStatus: 200,
        delayMs: 0,
        bytesIn: 17,
      });
      expect(lines[0]['path']).toMatch(/^\/logged\/\d+$/);
      expect(lines[0]['bytesOut']).toBeGreaterThan(0);
      expect(typeof lines[0]['latencyMs']).toBe('number');
      expect(typeof lines[0]['time']).toBe('string');
    }
    const everything = JSON.stringify(sut.gateway.logs);
    for (const secret of [
      'auth-secret',
      'cookie-secret',
      'body-secret-bytes',
      'query-secret',
    ])
      expect(everything).not.toContain(secret);
  });
});
