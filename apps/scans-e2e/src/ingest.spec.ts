import {
  AppProcess,
  ensureMongoUri,
  startTestDb,
  TestDb,
} from '@gatehouse/shared/testing';
import { ScanStatus } from '@gatehouse/shared/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allScans,
  databaseUri,
  postScan,
  request,
  startApp,
  stopAll,
} from './support/scans-e2e.helpers';

const UUID_V4 =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ingest: POST /scans', () => {
  let db: { uri: string; stop(): Promise<void> };
  let ingest: AppProcess;
  let status: AppProcess;

  beforeAll(async () => {
    db = await ensureMongoUri();
    const uri = databaseUri(db.uri, 'e2e_ingest');
    [ingest, status] = await Promise.all([
      startApp('ingest', { env: { MONGODB_URI: uri } }),
      startApp('status', { env: { MONGODB_URI: uri } }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await stopAll([ingest, status]);
    await db?.stop();
  });

  it('S-1: answers 202 {scanId (uuid v4), status: Accepted} with Location, and stores the scan', async () => {
    const response = await postScan(ingest, {
      target: 'https://example.com/login',
    });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({
      scanId: expect.stringMatching(UUID_V4),
      status: 'Accepted',
    });
    expect(response.headers.get('location')).toBe(
      `/scans/${response.body['scanId']}`,
    );
    const stored = await request(
      `${status.url}${response.headers.get('location')}`,
    );
    expect(stored.body).toMatchObject({
      scanId: response.body['scanId'],
      status: ScanStatus.Accepted,
      target: 'https://example.com/login',
      attempts: 0,
    });
  });

  it('S-1: the body is optional, and hosts, IPs and host:port are accepted targets', async () => {
    expect((await postScan(ingest)).status).toBe(202);
    expect((await postScan(ingest, {})).status).toBe(202);
    for (const target of [
      'example.com',
      '10.0.0.1',
      'scanme.example:8443',
      '[::1]:443',
      // A bare IPv6 address is an IP too, as docs/scans.md says.
      '::1',
      '2001:db8::1',
      'http://a.example/x?y=1',
    ]) {
      expect({
        target,
        status: (await postScan(ingest, { target })).status,
      }).toEqual({ target, status: 202 });
    }
  });

  it('S-1: a retried request with the same Idempotency-Key returns the same scan and creates no second one', async () => {
    const key = `retry-${Date.now()}`;
    const before = (await allScans(status)).length;
    const first = await postScan(
      ingest,
      { target: 'idem.example' },
      { 'idempotency-key': key },
    );
    const again = await postScan(
      ingest,
      { target: 'idem.example' },
      { 'idempotency-key': key },
    );
    expect(again.status).toBe(202);
    expect(again.body['scanId']).toBe(first.body['scanId']);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // Concurrent retries race on the unique index; all of them get the same scan.
    const racing = await Promise.all(
      Array.from({ length: 10 }, () =>
        postScan(
          ingest,
          { target: 'race.example' },
          { 'idempotency-key': `${key}-race` },
        ),
      ),
    );
    expect(racing.every((response) => response.status === 202)).toBe(true);
    expect(
      new Set(racing.map((response) => response.body['scanId'])).size,
    ).toBe(1);
    expect((await allScans(status)).length).toBe(before + 2);
    const reused = await postScan(
      ingest,
      { target: 'other.example' },
      { 'idempotency-key': key },
    );
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toContain(
      'application/problem+json',
    );
  });

  describe('Errors: hostile and malformed input gets a clear 4xx problem+json and stores nothing', () => {
    const raw = (
      body: string,
      contentType = 'application/json',
      headers: Record<string, string> = {},
    ) =>
      request(`${ingest.url}/scans`, {
        method: 'POST',
        headers: { 'content-type': contentType, ...headers },
        body,
      });

    it.each([
      ['unknown field', JSON.stringify({ target: 'a.example', extra: 1 }), 400],
      ['$ operator key', JSON.stringify({ $where: 'sleep(1000)' }), 400],
      [
        'operator object as target',
        JSON.stringify({ target: { $ne: null } }),
        400,
      ],
      ['__proto__ key', '{"__proto__": {"admin": true}}', 400],
      ['constructor key', '{"constructor": {"prototype": {}}}', 400],
      ['number target', JSON.stringify({ target: 42 }), 400],
      ['array target', JSON.stringify({ target: ['a.example'] }), 400],
      ['empty target', JSON.stringify({ target: '  ' }), 400],
      ['not a host or URL', JSON.stringify({ target: 'not a host!' }), 400],
      [
        'javascript: URL',
        JSON.stringify({ target: 'javascript:alert(1)' }),
        400,
      ],
      [
        'URL with credentials',
        JSON.stringify({ target: 'http://user:pw@a.example/' }),
        400,
      ],
      ['array body', JSON.stringify([{ target: 'a.example' }]), 400],
      ['scalar body', '"a.example"', 400],
      ['malformed JSON', '{"target": ', 400],
      [
        'oversized body',
        JSON.stringify({ target: `${'a'.repeat(64 * 1024)}.example` }),
        413,
      ],
    ])('%s → %i', async (_what, body, expected) => {
      const response = await raw(body);
      expect(response.status).toBe(expected);
      expect(response.headers.get('content-type')).toContain(
        'application/problem+json',
      );
      expect(response.body).toMatchObject({
        type: expect.any(String),
        title: expect.any(String),
        status: expected,
        detail: expect.any(String),
        instance: '/scans',
      });
      expect(response.text).not.toMatch(/at .*\.js:\d+|node_modules/);
    });

    it('refuses a non-JSON media type with 415', async () => {
      expect(
        (await raw('target=a.example', 'application/x-www-form-urlencoded'))
          .status,
      ).toBe(415);
      expect((await raw('a.example', 'text/plain')).status).toBe(415);
    });

    it('refuses a malformed Idempotency-Key', async () => {
      expect(
        (
          await raw('{}', 'application/json', {
            'idempotency-key': 'x'.repeat(300),
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await raw('{}', 'application/json', {
            'idempotency-key': 'has space',
          })
        ).status,
      ).toBe(400);
    });

    it('stored none of the rejected requests', async () => {
      const targets = (await allScans(status)).map((scan) => scan.target);
      expect(
        targets.some(
          (target) =>
            target !== null && /not a host|javascript|user:pw/.test(target),
        ),
      ).toBe(false);
    });
  });

  it('S-12: /health/live, /health/ready and /metrics', async () => {
    expect((await request(`${ingest.url}/health/live`)).status).toBe(200);
    expect((await request(`${ingest.url}/health/ready`)).body).toMatchObject({
      status: 'ok',
    });
    const metrics = await request(`${ingest.url}/metrics`);
    expect(metrics.text).toContain('scans_accepted_total');
  });
});

describe('ingest with the database gone (S-3)', () => {
  // Always the FerretDB test DB: this test stops and restarts its database.
  let testDb: TestDb | undefined;
  let ingest: AppProcess | undefined;
  let status: AppProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-s3-'));

  afterAll(async () => {
    await stopAll([ingest, status]);
    await testDb?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('S-3: answers 503 problem+json fast, never 202, and loses no acknowledged scan', async () => {
    testDb = await startTestDb({ dataDir });
    const uri = `${testDb.uri}gatehouse`;
    [ingest, status] = await Promise.all([
      startApp('ingest', { env: { MONGODB_URI: uri } }),
      startApp('status', { env: { MONGODB_URI: uri } }),
    ]);
    const accepted: string[] = [];
    for (let i = 0; i < 5; i++)
      accepted.push(
        String(
          (await postScan(ingest, { target: `before-${i}.example` })).body[
            'scanId'
          ],
        ),
      );

    await testDb.stop();
    const started = Date.now();
    const down = await postScan(
      ingest,
      { target: 'during.example' },
      { 'idempotency-key': 'during-outage' },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain(
      'application/problem+json',
    );
    expect(down.headers.get('retry-after')).toBeTruthy();
    expect(down.text).not.toMatch(/127\.0\.0\.1|localhost|Mongo/);
    expect((await request(`${ingest.url}/health/ready`)).status).toBe(503);

    // The database comes back on the same port and data: every 202 is there, and the retry of
    // the 503 request creates its scan exactly once.
    testDb = await startTestDb({ dataDir, port: testDb.port });
    const retry = async () =>
      postScan(
        ingest as AppProcess,
        { target: 'during.example' },
        { 'idempotency-key': 'during-outage' },
      );
    let retried = await retry();
    for (let i = 0; i < 40 && retried.status === 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      retried = await retry();
    }
    expect(retried.status).toBe(202);
    const scans = await allScans(status);
    expect(scans.map((scan) => scan.scanId)).toEqual(
      expect.arrayContaining(accepted),
    );
    expect(
      scans.filter((scan) => scan.target === 'during.example'),
    ).toHaveLength(1);
    expect(scans).toHaveLength(6);
  });
});
