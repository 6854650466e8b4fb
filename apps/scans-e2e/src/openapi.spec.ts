import {
  AppProcess,
  ensureMongoUri,
  eventually,
  OpenApiChecker,
  startTestDb,
} from '@gatehouse/shared/testing';
import { databaseUri, startApp, stopAll } from './support/scans-e2e.helpers';

const UNKNOWN_ID = '0b8f8d4e-6f1c-4a0e-9d1e-3f4b5a6c7d8e';
const json = { 'content-type': 'application/json' };

// O-2: real responses of ingest and status, errors included, match their OpenAPI documents.
describe('OpenAPI documents (O-2): ingest and status', () => {
  let db: { uri: string; stop(): Promise<void> };
  let ingest: AppProcess;
  let status: AppProcess;
  let processor: AppProcess;
  let ingestDoc: OpenApiChecker;
  let statusDoc: OpenApiChecker;

  beforeAll(async () => {
    db = await ensureMongoUri();
    const uri = databaseUri(db.uri, 'e2e_openapi');
    [ingest, status, processor] = await Promise.all([
      startApp('ingest', { env: { MONGODB_URI: uri } }),
      startApp('status', { env: { MONGODB_URI: uri } }),
      startApp('processor', {
        env: {
          MONGODB_URI: uri,
          FAILURE_RATE: '0',
          MIN_WORK_MS: '5',
          MAX_WORK_MS: '20',
        },
      }),
    ]);
    ingestDoc = await OpenApiChecker.load(`${ingest.url}/openapi.json`);
    statusDoc = await OpenApiChecker.load(`${status.url}/openapi.json`);
  }, 240_000);

  afterAll(async () => {
    await stopAll([ingest, status, processor]);
    await db?.stop();
  });

  it('serves OpenAPI 3 documents and Swagger UI', async () => {
    for (const app of [ingest, status]) {
      const page = await fetch(`${app.url}/docs`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('swagger-ui');
    }
    expect(ingestDoc.operations()).toEqual(
      expect.arrayContaining(['POST /scans', 'GET /health/ready']),
    );
    expect(statusDoc.operations()).toEqual(
      expect.arrayContaining([
        'GET /scans',
        'GET /scans/summary',
        'POST /scans/summary/repair',
        'GET /scans/{id}',
        'GET /scans/{id}/attempts',
        'POST /scans/{id}/cancel',
        'POST /scans/{id}/retry',
      ]),
    );
  });

  it('ingest: every answer, errors included, is described', async () => {
    const url = `${ingest.url}/scans`;
    const post = (body: string, headers: Record<string, string> = json) =>
      ingestDoc.fetchChecked(url, { method: 'POST', headers, body });
    expect((await post('{"target": "example.com"}')).status).toBe(202);
    expect(
      (
        await post('{"target": "a.example"}', {
          ...json,
          'idempotency-key': 'k1',
        })
      ).status,
    ).toBe(202);
    expect(
      (
        await post('{"target": "b.example"}', {
          ...json,
          'idempotency-key': 'k1',
        })
      ).status,
    ).toBe(422);
    expect((await post('{"target": 5}')).status).toBe(400);
    expect((await post('{"nope": 1}')).status).toBe(400);
    expect((await post('{not json')).status).toBe(400);
    expect(
      (await post('target=x', { 'content-type': 'text/plain' })).status,
    ).toBe(415);
    expect(
      (await post(JSON.stringify({ target: 'x'.repeat(20_000) }))).status,
    ).toBe(413);
    await ingestDoc.fetchChecked(`${ingest.url}/health/live`);
    expect(
      (await ingestDoc.fetchChecked(`${ingest.url}/health/ready`)).status,
    ).toBe(200);
    await ingestDoc.fetchChecked(`${ingest.url}/metrics`);
    expect(
      (
        await ingestDoc.fetchChecked(`${url}?x=1`, {
          method: 'POST',
          headers: json,
          body: '{}',
        })
      ).status,
    ).toBe(400);
    expect(
      (await ingestDoc.fetchChecked(`${ingest.url}/metrics?x=1`)).status,
    ).toBe(400);
  });

  it('status: every answer, errors included, is described', async () => {
    const accepted = await ingestDoc.fetchChecked(`${ingest.url}/scans`, {
      method: 'POST',
      headers: json,
      body: '{"target": "docs.example"}',
    });
    const { scanId } = accepted.json() as { scanId: string };
    const base = `${status.url}/scans`;
    await eventually(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const scan = (
          await statusDoc.fetchChecked(`${base}/${scanId}`)
        ).json() as {
          status: string;
        };
        return scan.status === 'Complete' || undefined;
      },
      60_000,
      'the scan to complete',
    );
    const attempts = (
      await statusDoc.fetchChecked(`${base}/${scanId}/attempts`)
    ).json() as { items: { kind: string }[] };
    expect(attempts.items.map((entry) => entry.kind)).toEqual(['claim', 'end']);
    const page = (await statusDoc.fetchChecked(`${base}?limit=1`)).json() as {
      nextCursor: string | null;
    };
    expect(page.nextCursor).not.toBeNull();
    await statusDoc.fetchChecked(
      `${base}?limit=1&cursor=${encodeURIComponent(String(page.nextCursor))}`,
    );
    await statusDoc.fetchChecked(`${base}?status=Complete`);
    await statusDoc.fetchChecked(`${base}/summary`);
    await statusDoc.fetchChecked(
      `${base}?target=a.example&createdFrom=2026-01-01T00:00:00Z`,
    );
    const repaired = await statusDoc.fetchChecked(`${base}/summary/repair`, {
      method: 'POST',
    });
    expect(repaired.status).toBe(200);
    // S-17: a Complete scan can be neither cancelled nor retried.
    for (const action of ['cancel', 'retry'])
      expect(
        (
          await statusDoc.fetchChecked(`${base}/${scanId}/${action}`, {
            method: 'POST',
          })
        ).status,
      ).toBe(409);
    for (const [path, code] of [
      [`${UNKNOWN_ID}/cancel`, 404],
      [`${UNKNOWN_ID}/retry`, 404],
      ['not-a-uuid/cancel', 400],
      ['not-a-uuid/retry', 400],
    ] as const)
      expect(
        (await statusDoc.fetchChecked(`${base}/${path}`, { method: 'POST' }))
          .status,
      ).toBe(code);
    // Errors: an unknown query parameter is a described 400 on every route.
    for (const path of ['summary', UNKNOWN_ID, `${UNKNOWN_ID}/attempts`])
      expect((await statusDoc.fetchChecked(`${base}/${path}?x=1`)).status).toBe(
        400,
      );
    for (const bad of ['status=Done', 'limit=0', 'cursor=nope', 'other=1'])
      expect((await statusDoc.fetchChecked(`${base}?${bad}`)).status).toBe(400);
    for (const path of [UNKNOWN_ID, `${UNKNOWN_ID}/attempts`])
      expect((await statusDoc.fetchChecked(`${base}/${path}`)).status).toBe(
        404,
      );
    for (const path of ['not-a-uuid', 'not-a-uuid/attempts'])
      expect((await statusDoc.fetchChecked(`${base}/${path}`)).status).toBe(
        400,
      );
    await statusDoc.fetchChecked(`${status.url}/health/live`);
    await statusDoc.fetchChecked(`${status.url}/health/ready`);
    await statusDoc.fetchChecked(`${status.url}/metrics`);
  });

  it('processor: its health and metrics answers are described', async () => {
    const doc = await OpenApiChecker.load(`${processor.url}/openapi.json`);
    const page = await fetch(`${processor.url}/docs`);
    expect(page.status).toBe(200);
    await page.arrayBuffer();
    await doc.fetchChecked(`${processor.url}/health/live`);
    expect(
      (await doc.fetchChecked(`${processor.url}/health/ready`)).status,
    ).toBe(200);
    await doc.fetchChecked(`${processor.url}/metrics`);
    // Errors: an unknown query parameter is a described 400, on health and metrics too.
    for (const path of ['/health/live', '/health/ready', '/metrics'])
      expect(
        (await doc.fetchChecked(`${processor.url}${path}?x=1`)).status,
      ).toBe(400);
    expect(doc.unexercised()).toEqual([]);
  });

  it('with MongoDB unreachable, the 503 answers are described too', async () => {
    // A database of their own that goes away under them.
    const own = await startTestDb();
    const uri = `${own.uri}e2e_openapi_down`;
    const [lonelyIngest, lonelyStatus] = await Promise.all([
      startApp('ingest', { env: { MONGODB_URI: uri } }),
      startApp('status', { env: { MONGODB_URI: uri } }),
    ]);
    await own.stop();
    try {
      const expect503 = async (doc: OpenApiChecker, url: string, init = {}) =>
        expect((await doc.fetchChecked(url, init)).status).toBe(503);
      await expect503(ingestDoc, `${lonelyIngest.url}/scans`, {
        method: 'POST',
        headers: json,
        body: '{}',
      });
      await expect503(ingestDoc, `${lonelyIngest.url}/health/ready`);
      await expect503(statusDoc, `${lonelyStatus.url}/scans`);
      await expect503(statusDoc, `${lonelyStatus.url}/scans/summary`);
      await expect503(statusDoc, `${lonelyStatus.url}/scans/${UNKNOWN_ID}`);
      await expect503(
        statusDoc,
        `${lonelyStatus.url}/scans/${UNKNOWN_ID}/attempts`,
      );
      await expect503(statusDoc, `${lonelyStatus.url}/health/ready`);
    } finally {
      await stopAll([lonelyIngest, lonelyStatus]);
    }
    expect(ingestDoc.unexercised()).toEqual([]);
    expect(statusDoc.unexercised()).toEqual([]);
  });
});
