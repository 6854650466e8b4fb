import { AppProcess, startApp } from '@gatehouse/shared/testing';
import { createHash, randomBytes } from 'node:crypto';

describe('backend (B-1, B-2) behind the gateway', () => {
  let backend: AppProcess;
  let gateway: AppProcess;
  beforeAll(async () => {
    backend = await startApp('backend');
    gateway = await startApp('gateway', {
      env: {
        BACKEND_URL: backend.url,
        DUPLICATE_DELAY_MS: '0',
        UPSTREAM_ERROR_LOG: '/dev/null',
      },
      readyPath: '/_gateway/health/ready',
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await backend.stop();
  });

  it('B-1 answers the default message on any method and path', async () => {
    for (const method of ['GET', 'DELETE', 'PATCH']) {
      const response = await fetch(`${gateway.url}/any/where?x=1`, { method });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        message: 'Processed by the backend service!',
      });
    }
  });

  it('B-1 /echo reports the request as the backend received it', async () => {
    const body = randomBytes(70_000);
    const response = await fetch(`${gateway.url}/echo/a/b?q=1&r=%20`, {
      method: 'POST',
      body,
      headers: { 'X-Mixed-Case': 'Value' },
    });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as { headers: [string, string][] };
    expect(echo).toMatchObject({
      method: 'POST',
      path: '/echo/a/b',
      query: 'q=1&r=%20',
      bodyLength: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(echo.headers).toContainEqual(['X-Mixed-Case', 'Value']);
  });

  it('B-2 /api/work follows the scripted scenario, then the default', async () => {
    const scenario = await fetch(`${backend.url}/_mock/scenario`, {
      method: 'POST',
      body: JSON.stringify([
        [{ n: 1 }, 503, 0],
        [{ n: 2 }, 200, 100],
      ]),
    });
    expect(await scenario.json()).toEqual({ steps: 2 });
    const first = await fetch(`${gateway.url}/api/work`);
    expect([first.status, await first.json()]).toEqual([503, { n: 1 }]);
    const second = await fetch(`${gateway.url}/api/work`);
    expect([second.status, await second.json()]).toEqual([200, { n: 2 }]);
    expect((await fetch(`${gateway.url}/api/work`)).status).toBe(200);
    const requests = (await (
      await fetch(`${backend.url}/_mock/requests`)
    ).json()) as { timestamps: number[] };
    expect(requests.timestamps).toHaveLength(3);
  });

  it('B-2 rejects a malformed scenario with 400 problem+json', async () => {
    const response = await fetch(`${backend.url}/_mock/scenario`, {
      method: 'POST',
      body: '[[1, 99, 0]]',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe(
      'application/problem+json',
    );
  });

  it('Errors: the backend’s own /_mock and /health routes refuse unknown query parameters; its stand-in upstream routes take any', async () => {
    for (const path of ['/_mock/requests?x=1', '/health/live?x=1']) {
      const response = await fetch(`${backend.url}${path}`);
      expect([path, response.status]).toEqual([path, 400]);
      expect(await response.json()).toMatchObject({
        detail: expect.stringContaining('"x"'),
        requestId: expect.any(String),
      });
    }
    for (const path of ['/api/users?page=2', '/echo/x?y=1', '/any?z=1'])
      expect([path, (await fetch(`${gateway.url}${path}`)).status]).toEqual([
        path,
        200,
      ]);
  });

  it('shuts down gracefully on SIGTERM with exit code 0', async () => {
    const extra = await startApp('gateway', {
      env: { BACKEND_URL: backend.url, UPSTREAM_ERROR_LOG: '/dev/null' },
      readyPath: '/_gateway/health/live',
    });
    expect(await extra.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('refuses to start with invalid configuration, naming the variable', async () => {
    await expect(
      startApp('gateway', {
        env: { BACKEND_URL: 'ftp://x', UPSTREAM_ERROR_LOG: '/dev/null' },
        readyPath: '/_gateway/health/live',
        timeoutMs: 5000,
      }),
    ).rejects.toThrow(/BACKEND_URL must use http: or https:/);
  });
});
