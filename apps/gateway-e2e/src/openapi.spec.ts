import {
  AppProcess,
  eventually,
  freePort,
  OpenApiChecker,
  startApp,
} from '@gatehouse/shared/testing';

// O-2: real responses of the gateway's admin API and of the backend match their documents.
describe('OpenAPI documents (O-2): gateway admin API and backend', () => {
  let backend: AppProcess;
  let gateway: AppProcess;
  let gatewayDoc: OpenApiChecker;
  let backendDoc: OpenApiChecker;

  beforeAll(async () => {
    backend = await startApp('backend');
    gateway = await startApp('gateway', {
      env: {
        BACKEND_URL: backend.url,
        DUPLICATE_DELAY_MS: '0',
        UPSTREAM_ERROR_LOG: '/dev/null',
        LOAD_TEST_MAX: '50',
      },
      readyPath: '/_gateway/health/ready',
    });
    gatewayDoc = await OpenApiChecker.load(
      `${gateway.url}/_gateway/openapi.json`,
    );
    backendDoc = await OpenApiChecker.load(`${backend.url}/openapi.json`);
  });
  afterAll(async () => {
    await gateway?.stop();
    await backend?.stop();
  });

  it('serves the documents and Swagger UI under the admin prefix, never forwarded', async () => {
    expect(gatewayDoc.document.openapi).toMatch(/^3\./);
    expect(Object.keys(gatewayDoc.document.paths)).toEqual(
      expect.arrayContaining([
        '/_gateway/status',
        '/_gateway/stats',
        '/_gateway/test/{n}',
        '/_gateway/health/live',
        '/_gateway/health/ready',
        '/metrics',
      ]),
    );
    // No documented path may fall through to the catch-all proxy.
    for (const path of Object.keys(gatewayDoc.document.paths))
      expect(path === '/metrics' || path.startsWith('/_gateway/')).toBe(true);
    const page = await fetch(`${gateway.url}/_gateway/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const response = await fetch(`${gateway.url}/_gateway/docs/${asset}`);
      expect([asset, response.status]).toEqual([asset, 200]);
      await response.arrayBuffer();
    }
    // Nothing under the prefix reached the backend: its own /docs is not what we got.
    const timestamps = (await (
      await fetch(`${backend.url}/_mock/requests`)
    ).json()) as { timestamps: number[] };
    expect(timestamps.timestamps).toEqual([]);
    const backendPage = await fetch(`${backend.url}/docs`);
    expect(backendPage.status).toBe(200);
    await backendPage.arrayBuffer();
  });

  it('every gateway admin answer, errors included, is described', async () => {
    const base = `${gateway.url}/_gateway`;
    await gatewayDoc.fetchChecked(`${base}/health/live`);
    expect((await gatewayDoc.fetchChecked(`${base}/health/ready`)).status).toBe(
      200,
    );
    expect(
      (await gatewayDoc.fetchChecked(`${base}/test/5`, { method: 'POST' }))
        .status,
    ).toBe(202);
    for (const bad of ['0', 'abc', '51'])
      expect(
        (
          await gatewayDoc.fetchChecked(`${base}/test/${bad}`, {
            method: 'POST',
          })
        ).status,
      ).toBe(400);
    await eventually(
      async () =>
        (
          (await gatewayDoc.fetchChecked(`${base}/status`)).json() as {
            requests: { processed: number };
          }
        ).requests.processed >= 5 || undefined,
      30_000,
      'the load run to be counted',
    );
    expect(
      (await gatewayDoc.fetchChecked(`${base}/stats?limit=3&offset=0`)).status,
    ).toBe(200);
    for (const bad of ['limit=0', 'offset=-1', 'limit=x', 'other=1'])
      expect(
        (await gatewayDoc.fetchChecked(`${base}/stats?${bad}`)).status,
      ).toBe(400);
    const metrics = await gatewayDoc.fetchChecked(`${gateway.url}/metrics`);
    expect(metrics.text).toContain('gateway_requests_total');
    expect(gatewayDoc.unexercised()).toEqual([]);
  });

  it('readiness with the upstream down is a described 503', async () => {
    const dead = await freePort();
    const lonely = await startApp('gateway', {
      env: {
        BACKEND_URL: `http://127.0.0.1:${dead}`,
        UPSTREAM_ERROR_LOG: '/dev/null',
      },
      readyPath: '/_gateway/health/live',
    });
    try {
      const doc = await OpenApiChecker.load(
        `${lonely.url}/_gateway/openapi.json`,
      );
      const ready = await doc.fetchChecked(
        `${lonely.url}/_gateway/health/ready`,
      );
      expect(ready.status).toBe(503);
      expect(ready.headers.get('content-type')).toMatch(
        /application\/problem\+json/,
      );
    } finally {
      await lonely.stop();
    }
  });

  it('every backend answer, errors included, is described', async () => {
    const base = backend.url;
    await backendDoc.fetchChecked(`${base}/health/live`);
    await backendDoc.fetchChecked(`${base}/health/ready`);
    await backendDoc.fetchChecked(`${base}/metrics`);
    await backendDoc.fetchChecked(`${base}/echo/a/b?q=1`);
    await backendDoc.fetchChecked(`${base}/echo/upload`, {
      method: 'POST',
      body: 'hello',
    });
    await backendDoc.fetchChecked(`${base}/api/users/7`);
    expect(
      (
        await backendDoc.fetchChecked(`${base}/_mock/scenario`, {
          method: 'POST',
          body: JSON.stringify([
            [{ n: 1 }, 503, 0],
            [{ n: 2 }, 200, 0],
          ]),
        })
      ).status,
    ).toBe(200);
    expect((await backendDoc.fetchChecked(`${base}/api/work`)).status).toBe(
      503,
    );
    expect((await backendDoc.fetchChecked(`${base}/api/work`)).status).toBe(
      200,
    );
    await backendDoc.fetchChecked(`${base}/_mock/requests`);
    for (const bad of ['nope', '[[1]]', '[[{}, 99, 0]]'])
      expect(
        (
          await backendDoc.fetchChecked(`${base}/_mock/scenario`, {
            method: 'POST',
            body: bad,
          })
        ).status,
      ).toBe(400);
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])
      await backendDoc.fetchChecked(`${base}/any/where`, { method });
    // HEAD has no body to check, and SEARCH is not a method fetch can send.
    expect(backendDoc.unexercised()).toEqual(['HEAD /{path}']);
  });
});
