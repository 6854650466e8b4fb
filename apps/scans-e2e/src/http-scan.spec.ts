import { AppProcess, ensureMongoUri, LogLine } from '@gatehouse/shared/testing';
import type {
  ScanAttemptListResponse,
  ScanFinding,
  ScanResult,
  ScanView,
} from '@gatehouse/shared/contracts';
import { ScanStatus } from '@gatehouse/shared/contracts';
import {
  databaseUri,
  eventuallyScan,
  getScan,
  postScan,
  request,
  startApp,
  stopAll,
} from './support/scans-e2e.helpers';
import {
  carefulPage,
  carelessPage,
  httpsTarget,
  httpTarget,
  shortLivedCertificate,
  TargetServer,
} from './support/scan-targets';

// S-14, S-15: the http scan, through real processes (ingest → processor → status) against real
// servers on loopback. SCAN_ALLOW=127.0.0.1 lets the scan reach them; 127.0.0.2 stays out.
describe('http scan (S-4, S-14, S-15)', () => {
  let db: { uri: string; stop(): Promise<void> };
  let mongoUri: string;
  let ingest: AppProcess;
  let status: AppProcess;
  let worker: AppProcess | undefined;
  const servers: TargetServer[] = [];
  let tarpit: TargetServer;
  const scope = {
    SCAN_ALLOW: '127.0.0.1',
    SCAN_RESOLVE: 'scan.test=127.0.0.1,rebind.test=127.0.0.2',
  };

  const serve = async (server: Promise<TargetServer>) => {
    const started = await server;
    servers.push(started);
    return started;
  };

  const processor = (env: Record<string, string> = {}) =>
    startApp('processor', {
      env: {
        MONGODB_URI: mongoUri,
        LOG_LEVEL: 'info',
        SCAN_TIMEOUT_MS: '4000',
        RETRY_BASE_MS: '100',
        RETRY_MAX_MS: '400',
        ...scope,
        ...env,
      },
    });

  const queue = async (target: string): Promise<string> => {
    const response = await postScan(ingest, { kind: 'http', target });
    expect(response.status).toBe(202);
    return String(response.body['scanId']);
  };

  const finished = (id: string): Promise<ScanView> =>
    eventuallyScan(
      status,
      id,
      (scan) =>
        scan.status === ScanStatus.Complete ||
        scan.status === ScanStatus.Failed,
      20_000,
    );

  const resultOf = (scan: ScanView): ScanResult => {
    if (!scan.result) throw new Error(`scan ${scan.scanId} has no result`);
    return scan.result;
  };

  const checks = (scan: ScanView): string[] =>
    (scan.result?.findings ?? []).map((finding: ScanFinding) => finding.check);

  beforeAll(async () => {
    db = await ensureMongoUri();
    mongoUri = databaseUri(db.uri, 'e2e_http_scan');
    [ingest, status] = await Promise.all([
      startApp('ingest', { env: { MONGODB_URI: mongoUri, ...scope } }),
      startApp('status', { env: { MONGODB_URI: mongoUri } }),
    ]);
    // Accepts and never answers: the scan's deadline and the worker's abort must end it.
    tarpit = await serve(httpTarget(() => undefined));
  }, 240_000);

  afterAll(async () => {
    await stopAll([ingest, status, worker]);
    await Promise.all(servers.map((server) => server.stop()));
    await db?.stop();
  });

  it('S-8 S-14: SIGTERM aborts a running http scan at once, releases it and exits 0', async () => {
    const draining = await processor({
      SCAN_TIMEOUT_MS: '60000',
      SHUTDOWN_GRACE_MS: '1500',
    });
    const id = await queue(`${tarpit.url}/slow`);
    await draining.waitForLog(
      (line: LogLine) =>
        line['event'] === 'scan.running' && line['scanId'] === id,
      15_000,
      'the tarpit scan running',
    );
    const started = Date.now();
    expect(await draining.stop('SIGTERM', 10_000)).toEqual({
      code: 0,
      signal: null,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(
      draining.logs.some(
        (line) => line['event'] === 'scan.released' && line['scanId'] === id,
      ),
    ).toBe(true);
    expect(await getScan(status, id)).toMatchObject({
      status: ScanStatus.Accepted,
      kind: 'http',
    });
    // The worker the other tests use picks it up again. Its deadline is a transient failure
    // (S-16): attempt 2 is retried after a back-off, and attempt 3, the last, ends it Failed.
    worker = await processor();
    const scan = await eventuallyScan(
      status,
      id,
      (s) => s.status === ScanStatus.Failed,
      30_000,
    );
    expect(scan.error).toMatch(/deadline of 4000 ms/);
    expect(scan.attempts).toBe(3);
    const log = await request<ScanAttemptListResponse>(
      `${status.url}/scans/${id}/attempts`,
    );
    const entries = log.body.items;
    expect(entries.map((e) => [e.kind, e.attempt])).toEqual([
      ['claim', 1],
      ['claim', 2],
      ['claim', 3],
      ['end', 3],
    ]);
    // Attempt 1 was given back at shutdown; attempt 2 failed for a passing reason.
    expect(entries[0]).toMatchObject({ released: true, errorClass: null });
    expect(entries[1]).toMatchObject({
      released: true,
      errorClass: 'transient',
      error: expect.stringMatching(/deadline/),
      nextAttemptAt: expect.any(String),
    });
    expect(entries[3]).toMatchObject({
      status: ScanStatus.Failed,
      errorClass: 'transient',
    });
  }, 60_000);

  it('S-16: a reset connection is retried after a back-off, and the next attempt completes', async () => {
    let requests = 0;
    const server = await serve(
      httpTarget((req, res) => {
        requests++;
        if (requests === 1) req.socket.destroy();
        else carefulPage(req, res);
      }),
    );
    const scan = await finished(await queue(`${server.url}/flaky`));
    expect(scan).toMatchObject({ status: ScanStatus.Complete, attempts: 2 });
    expect(scan.nextAttemptAt).toBeNull();
    const log = await request<ScanAttemptListResponse>(
      `${status.url}/scans/${scan.scanId}/attempts`,
    );
    expect(log.body.items[0]).toMatchObject({
      kind: 'claim',
      attempt: 1,
      errorClass: 'transient',
      error: expect.stringMatching(/ECONNRESET|socket hang up/),
    });
  }, 30_000);

  it('S-14: a self-signed https server expiring in 5 days with no security headers', async () => {
    const server = await serve(
      shortLivedCertificate(5).then((tls) => httpsTarget(carelessPage, tls)),
    );
    const scan = await finished(await queue(`${server.url}/login`));
    expect(scan).toMatchObject({ status: ScanStatus.Complete, kind: 'http' });
    const result = resultOf(scan);
    expect(result.tls).toMatchObject({
      subject: 'CN=127.0.0.1',
      issuer: 'CN=127.0.0.1',
      trusted: false,
      nameMatches: true,
      subjectAltNames: expect.arrayContaining(['IP Address:127.0.0.1']),
    });
    expect(result.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(result.tls?.cipher).toEqual(expect.any(String));
    expect(result.tls?.daysLeft).toBeGreaterThanOrEqual(4);
    expect(result.tls?.daysLeft).toBeLessThanOrEqual(5);
    expect(result.http).toMatchObject({
      status: 200,
      finalUrl: `${server.url}/login`,
      server: 'careless/1.0',
    });
    expect(checks(scan).sort()).toEqual(
      [
        'cookies.insecure',
        'cookies.insecure',
        'headers.csp.missing',
        'headers.frame-protection.missing',
        'headers.hsts.missing',
        'headers.referrer-policy.missing',
        'headers.x-content-type-options.missing',
        'tls.certificate.expiring',
        'tls.certificate.untrusted',
      ].sort(),
    );
    // Findings come most severe first, and the summary counts them by severity.
    const severities = ['info', 'low', 'medium', 'high', 'critical'];
    const ranks = result.findings.map((f) => severities.indexOf(f.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(Object.values(result.summary).reduce((sum, n) => sum + n, 0)).toBe(
      result.findings.length,
    );
    expect(result.summary.high).toBe(2);
    // A cookie is named, never its value.
    expect(JSON.stringify(result)).not.toContain('secret-value');
  }, 30_000);

  it('S-14: an expired certificate for another name, with every header present', async () => {
    const server = await serve(
      shortLivedCertificate(-3, 'other.example', [
        { type: 2, value: 'other.example' },
      ]).then((tls) => httpsTarget(carefulPage, tls)),
    );
    const scan = await finished(await queue(server.url));
    expect(scan.status).toBe(ScanStatus.Complete);
    expect(checks(scan)).toEqual(
      expect.arrayContaining([
        'tls.certificate.expired',
        'tls.certificate.name-mismatch',
      ]),
    );
    expect(checks(scan).filter((id) => id.startsWith('headers.'))).toEqual([]);
    expect(checks(scan)).not.toContain('cookies.insecure');
    expect(checks(scan)).not.toContain('tls.certificate.expiring');
    expect(resultOf(scan).tls).toMatchObject({ nameMatches: false });
    expect(resultOf(scan).tls?.daysLeft).toBeLessThan(0);
  }, 30_000);

  it('S-14: a server that still accepts TLS 1.0 and 1.1', async () => {
    const server = await serve(
      shortLivedCertificate(90).then((tls) =>
        httpsTarget(carefulPage, {
          ...tls,
          minVersion: 'TLSv1',
          ciphers: 'DEFAULT:@SECLEVEL=0',
        }),
      ),
    );
    const scan = await finished(await queue(server.url));
    expect(scan.status).toBe(ScanStatus.Complete);
    expect(checks(scan)).toContain('tls.protocol.outdated');
    expect(resultOf(scan).tls?.outdatedProtocols).toEqual(['TLSv1', 'TLSv1.1']);
    expect(checks(scan)).not.toContain('tls.certificate.expiring');
  }, 30_000);

  it('S-14: plain http that does not redirect to https, reached through a name (SCAN_RESOLVE)', async () => {
    const server = await serve(httpTarget(carelessPage));
    const scan = await finished(
      await queue(`http://scan.test:${server.port}/`),
    );
    expect(scan.status).toBe(ScanStatus.Complete);
    expect(checks(scan)).toContain('http.no-https-redirect');
    expect(checks(scan)).not.toContain('headers.hsts.missing');
    expect(resultOf(scan).tls).toBeNull();
    expect(resultOf(scan).http).toMatchObject({
      status: 200,
      httpsRedirect: false,
    });
  }, 30_000);

  it('S-14: follows redirects within scope, at most SCAN_MAX_REDIRECTS, reading at most SCAN_MAX_BODY_BYTES', async () => {
    const server = await serve(
      httpTarget((req, res) => {
        const step = Number(
          new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? 0,
        );
        if (step < 8) {
          res.writeHead(302, { location: `/hop?n=${step + 1}` });
          res.end();
        } else res.end('x'.repeat(4_000_000));
      }),
    );
    const scan = await finished(await queue(`${server.url}/hop?n=0`));
    expect(scan.status).toBe(ScanStatus.Complete);
    expect(resultOf(scan).http?.redirects).toHaveLength(5);
    expect(resultOf(scan).http).toMatchObject({
      status: 302,
      finalUrl: `${server.url}/hop?n=5`,
    });
    const big = await finished(await queue(`${server.url}/hop?n=8`));
    expect(resultOf(big).http).toMatchObject({
      status: 200,
      bodyBytes: 1_048_576,
      bodyTruncated: true,
    });
  }, 30_000);

  it('S-15: a redirect to the cloud metadata address is refused; the scan fails at once, with no retry', async () => {
    const server = await serve(
      httpTarget((_req, res) => {
        res.writeHead(302, {
          location: 'http://169.254.169.254/latest/meta-data/',
        });
        res.end();
      }),
    );
    const scan = await finished(await queue(server.url));
    expect(scan.status).toBe(ScanStatus.Failed);
    expect(scan.error).toMatch(/out of scope/);
    expect(scan.error).toMatch(/169\.254\.169\.254/);
    expect(scan.error).toMatch(/cloud metadata/);
    expect(scan.attempts).toBe(1);
  }, 30_000);

  it('S-15: a name that resolves to a loopback address outside SCAN_ALLOW is refused', async () => {
    const server = await serve(httpTarget(carelessPage));
    const scan = await finished(
      await queue(`http://rebind.test:${server.port}/`),
    );
    expect(scan.status).toBe(ScanStatus.Failed);
    expect(scan.error).toMatch(
      /address 127\.0\.0\.2 \(rebind\.test\) is a loopback address/,
    );
    expect(scan.attempts).toBe(1);
  }, 30_000);

  it.each([
    ['10.0.0.1', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'cloud metadata'],
    ['[::ffff:127.0.0.2]:8080', 'loopback'],
    ['http://0x7f.0.0.2/', 'loopback'],
    ['https://[fd12::1]/', 'unique local'],
    ['100.64.1.1', 'CGNAT'],
    ['[::1]:443', 'loopback'],
  ])(
    'S-15: ingest refuses %s (%s) by its literal form with 400 problem+json',
    async (target, words) => {
      const response = await postScan(ingest, { kind: 'http', target });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(
        /^application\/problem\+json/,
      );
      expect(response.body).toMatchObject({
        status: 400,
        type: expect.stringContaining('target-out-of-scope'),
      });
      expect(String(response.body['detail'])).toContain(words);
    },
  );

  it('S-4: an unknown kind, or an http scan with no target, is 400', async () => {
    for (const body of [
      { kind: 'nmap', target: 'example.com' },
      { kind: 'http' },
    ]) {
      const response = await postScan(ingest, body);
      expect(response.status).toBe(400);
      expect(response.body['status']).toBe(400);
    }
  });

  it('S-1: takes form-encoded bodies, underscores and Unicode names, as clients send them', async () => {
    const form = await request(`${ingest.url}/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'target=random_domain.co.il',
    });
    expect(form.status).toBe(202);
    const stored = await getScan(status, String(form.body['scanId']));
    expect(stored).toMatchObject({
      target: 'random_domain.co.il',
      kind: 'simulated',
    });
    const unicode = await postScan(ingest, { target: 'bücher.example/shop' });
    expect(unicode.status).toBe(202);
    expect((await getScan(status, String(unicode.body['scanId']))).target).toBe(
      'https://xn--bcher-kva.example/shop',
    );
    const badForm = await request(`${ingest.url}/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'target=a.example&target=b.example',
    });
    expect(badForm.status).toBe(400);
  });
});
