import {
  AppProcess,
  ensureMongoUri,
  startTestDb,
  TestDb,
} from '@gatehouse/shared/testing';
import { SCAN_ID_PATTERN, ScanStatus } from '@gatehouse/shared/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
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
      scanId: expect.stringMatching(SCAN_ID_PATTERN),
      status: 'Accepted',
    });
    // Answered in lower case, as it is stored.
    expect(response.body['scanId']).toBe(
      String(response.body['scanId']).toLowerCase(),
    );
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
      '93.184.215.14',
      'scanme.example:8443',
      '[2606:4700::1111]:443',
      // A bare IPv6 address is an IP too, as docs/scans.md says.
      '2606:4700::1111',
      'http://a.example/x?y=1',
      // S-1: labels as resolvers take them, Unicode names, and a host with a path.
      'random_domain.co.il',
      'bücher.example',
      'example.com/login',
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

  it('S-1: control, bidirectional-formatting and invisible characters anywhere in a target get 400 problem+json, and nothing is stored', async () => {
    const before = (await allScans(status)).length;
    for (const char of [
      '\t',
      '\n',
      '\r',
      '\u0000',
      '\u001b',
      '\u007f',
      '\u0085',
      '\u200e',
      '\u200f',
      '\u061c',
      '\u202a',
      '\u202e',
      '\u2066',
      '\u2069',
      '\u200b',
      '\u200d',
      '\u2060',
      '\ufeff',
    ]) {
      const code = `U+${(char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
      for (const target of [
        `http://a.exa${char}mple/`,
        `a.exa${char}mple`,
        `https://a.example/x${char}`,
        `${char}a.example`,
      ]) {
        const response = await postScan(ingest, { target });
        expect({ target, status: response.status }).toEqual({
          target,
          status: 400,
        });
        expect(response.headers.get('content-type')).toContain(
          'application/problem+json',
        );
        // Says what is wrong, by code point, without echoing the character.
        expect(response.body['detail']).toEqual(expect.stringContaining(code));
        expect(response.text.includes(char)).toBe(false);
        expect(String(response.body['detail']).includes(char)).toBe(false);
      }
    }
    expect((await allScans(status)).length).toBe(before);
  });

  it('S-1: a target is stored in the normalised form that was validated', async () => {
    const stored = async (target: string) => {
      const response = await postScan(ingest, { target });
      expect({ target, status: response.status }).toEqual({
        target,
        status: 202,
      });
      return (
        await request(`${status.url}/scans/${String(response.body['scanId'])}`)
      ).body['target'];
    };
    expect(await stored('Scan-Me.EXAMPLE.com')).toBe('scan-me.example.com');
    expect(await stored('Scan-Me.Example.COM:08443')).toBe(
      'scan-me.example.com:8443',
    );
    expect(await stored('[2606:4700::A]:443')).toBe('[2606:4700::a]:443');
    expect(await stored('Random_Domain.co.il')).toBe('random_domain.co.il');
    expect(await stored('Bücher.Example:8443')).toBe(
      'xn--bcher-kva.example:8443',
    );
    expect(await stored('HTTP://Scan-Me.EXAMPLE.com:80/Path?Q=1')).toBe(
      'http://scan-me.example.com/Path?Q=1',
    );
    expect(await stored('HTTPS://Scan-Me.Example:443')).toBe(
      'https://scan-me.example/',
    );
    // An Idempotency-Key retry compares normalised targets.
    const key = `normalised-${Date.now()}`;
    const first = await postScan(
      ingest,
      { target: 'Idem-Norm.Example' },
      { 'idempotency-key': key },
    );
    const again = await postScan(
      ingest,
      { target: 'idem-norm.example' },
      { 'idempotency-key': key },
    );
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.body['scanId']).toBe(first.body['scanId']);
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

    it('refuses a media type other than JSON or a form with 415', async () => {
      expect((await raw('a.example', 'text/plain')).status).toBe(415);
      expect((await raw('<target/>', 'application/xml')).status).toBe(415);
    });

    it('S-1: takes a form-encoded body with the same fields (an HTML form, requests.post(data=...))', async () => {
      expect(
        (
          await raw(
            'target=a.example&kind=simulated',
            'application/x-www-form-urlencoded',
          )
        ).status,
      ).toBe(202);
      expect(
        (await raw('target=a.example&x=1', 'application/x-www-form-urlencoded'))
          .status,
      ).toBe(400);
      expect(
        (await raw('target=10.0.0.1', 'application/x-www-form-urlencoded'))
          .status,
      ).toBe(400);
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

    it.each([
      ['malformed JSON', '{"target": x<script>', {}, 400],
      ['an oversized body', `{"target": "${'a'.repeat(64 * 1024)}"}`, {}, 413],
      [
        'an unsupported charset',
        '{}',
        { 'content-type': 'application/json; charset=latin1' },
        415,
      ],
      [
        'an unsupported content encoding',
        '{}',
        { 'content-encoding': 'x-unknown' },
        415,
      ],
      [
        'a body that does not gunzip',
        'not gzip',
        { 'content-encoding': 'gzip' },
        400,
      ],
      [
        'a non-JSON media type',
        'target=a',
        { 'content-type': 'text/plain' },
        415,
      ],
    ])(
      'Errors: %s gets a problem with the request id, body-parser errors included',
      async (_what, body, headers, expected) => {
        const response = await raw(body, 'application/json', {
          'x-request-id': 'ingest-body-error',
          ...headers,
        });
        expect(response.status).toBe(expected);
        expect(response.headers.get('content-type')).toContain(
          'application/problem+json',
        );
        expect(response.headers.get('x-request-id')).toBe('ingest-body-error');
        expect(response.body).toMatchObject({
          status: expected,
          instance: '/scans',
          requestId: 'ingest-body-error',
        });
        // Never quotes the body back (V8's JSON errors do).
        expect(response.text).not.toContain('script');
        expect(response.text).not.toContain('aaaa');
      },
    );

    it('Errors: a gzip bomb gets 413 with the request id, and a generated id when none is sent', async () => {
      // 64 KiB of zeros compress to about 100 bytes; the 16 KiB bound applies once decoded.
      const bomb = gzipSync(Buffer.alloc(64 * 1024, 0x20));
      expect(bomb.length).toBeLessThan(1_024);
      const response = await request(`${ingest.url}/scans`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        },
        body: bomb,
      });
      expect(response.status).toBe(413);
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.body).toMatchObject({ status: 413, requestId: id });
    });

    it('Errors: unknown query parameters are a 400 problem naming them, and store nothing', async () => {
      const before = (await allScans(status)).length;
      const response = await request(`${ingest.url}/scans?foo=1&dryRun`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-request-id': 'ingest-unknown-query',
        },
        body: JSON.stringify({ target: 'query.example' }),
      });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        status: 400,
        requestId: 'ingest-unknown-query',
        detail:
          'Unknown query parameter(s): "foo", "dryRun". This route takes no query parameters.',
      });
      expect((await allScans(status)).length).toBe(before);
      for (const path of [
        '/health/live?x=1',
        '/health/ready?x=1',
        '/metrics?x=1',
      ])
        expect([path, (await request(`${ingest.url}${path}`)).status]).toEqual([
          path,
          400,
        ]);
    });

    it('stored none of the rejected requests', async () => {
      const targets = (await allScans(status)).map((scan) => scan.target);
      expect(
        targets.some(
          (target) =>
            typeof target === 'string' &&
            /not a host|javascript|user:pw/.test(target),
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
