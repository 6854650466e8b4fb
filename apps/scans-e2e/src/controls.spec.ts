import { AppProcess, ensureMongoUri, LogLine } from '@gatehouse/shared/testing';
import type {
  ScanAttemptListResponse,
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
  summary,
  waitForSummary,
} from './support/scans-e2e.helpers';
import {
  httpsTarget,
  shortLivedCertificate,
  TargetServer,
} from './support/scan-targets';

// S-17: cancel and retry, through real processes (ingest → processor → status).
describe('cancel and retry (S-17)', () => {
  let db: { uri: string; stop(): Promise<void> };
  let mongoUri: string;
  let ingest: AppProcess;
  let status: AppProcess;
  const workers: AppProcess[] = [];
  let tarpit: TargetServer;

  const processor = async (env: Record<string, string> = {}) => {
    const worker = await startApp('processor', {
      env: {
        MONGODB_URI: mongoUri,
        LOG_LEVEL: 'info',
        SCAN_ALLOW: '127.0.0.1',
        LEASE_MS: '1500',
        POLL_MIN_MS: '20',
        POLL_MAX_MS: '100',
        ...env,
      },
    });
    workers.push(worker);
    return worker;
  };

  const queue = async (body: Record<string, string> = {}): Promise<string> => {
    const response = await postScan(ingest, body);
    expect(response.status).toBe(202);
    return String(response.body['scanId']);
  };

  const control = (id: string, action: 'cancel' | 'retry') =>
    request<ScanView & Record<string, unknown>>(
      `${status.url}/scans/${id}/${action}`,
      { method: 'POST' },
    );

  const history = async (id: string) =>
    (
      await request<ScanAttemptListResponse>(
        `${status.url}/scans/${id}/attempts`,
      )
    ).body.items;

  const running = (worker: AppProcess, id: string) =>
    worker.waitForLog(
      (line: LogLine) =>
        line['event'] === 'scan.running' && line['scanId'] === id,
      15_000,
      `scan ${id} running`,
    );

  beforeAll(async () => {
    db = await ensureMongoUri();
    mongoUri = databaseUri(db.uri, 'e2e_controls');
    [ingest, status] = await Promise.all([
      startApp('ingest', {
        env: { MONGODB_URI: mongoUri, SCAN_ALLOW: '127.0.0.1' },
      }),
      startApp('status', { env: { MONGODB_URI: mongoUri } }),
    ]);
    // Completes the TLS handshake, then never answers the request: the scan's TLS facts are
    // in, its HTTP part waits, so a cancel finds it running with a partial result.
    tarpit = await shortLivedCertificate(5).then((tls) =>
      httpsTarget(() => undefined, tls),
    );
  }, 240_000);

  // Each test runs its own workers, so a scan is claimed by the worker the test watches.
  afterEach(async () => {
    await stopAll(workers.splice(0));
  });

  afterAll(async () => {
    await stopAll([ingest, status, ...workers]);
    await tarpit?.stop();
    await db?.stop();
  });

  it('S-17: a queued scan is Cancelled at once, twice is idempotent, and a retry queues it again to run', async () => {
    const id = await queue();
    const first = await control(id, 'cancel');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      scanId: id,
      status: ScanStatus.Cancelled,
      error: 'cancelled by request',
    });
    const again = await control(id, 'cancel');
    expect(again.status).toBe(200);
    expect(again.body.status).toBe(ScanStatus.Cancelled);
    expect((await summary(status)).Cancelled).toBe(1);

    const retried = await control(id, 'retry');
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({
      status: ScanStatus.Accepted,
      error: null,
      finishedAt: null,
    });
    // Queued already: a second retry is refused, and says why.
    const twice = await control(id, 'retry');
    expect(twice.status).toBe(409);
    expect(twice.headers.get('content-type')).toContain(
      'application/problem+json',
    );
    expect(twice.body).toMatchObject({
      status: 409,
      type: expect.stringContaining('scan-state-conflict'),
      scanStatus: ScanStatus.Accepted,
    });

    await processor({ FAILURE_RATE: '0' });
    const done = await eventuallyScan(
      status,
      id,
      (scan) => scan.status === ScanStatus.Complete,
      20_000,
    );
    expect(done.attempts).toBe(1);
    expect((await history(id)).map((entry) => entry.kind)).toEqual([
      'end',
      'retry',
      'claim',
      'end',
    ]);
    // A finished scan can be neither cancelled nor retried.
    for (const action of ['cancel', 'retry'] as const) {
      const refused = await control(id, action);
      expect(refused.status).toBe(409);
      expect(refused.body['scanStatus']).toBe(ScanStatus.Complete);
    }
    // S-11: the processor writes its counters within COUNTERS_LINGER_MS of the end.
    await waitForSummary(
      status,
      (s) => s.Cancelled === 0 && s.Complete === 1 && s.Accepted === 0,
      5_000,
      'the retried scan counted Complete',
    );
  }, 60_000);

  it('S-17: a running scan is aborted by its worker within a lease renewal and keeps its partial result', async () => {
    const worker = await processor({ SCAN_TIMEOUT_MS: '60000' });
    const id = await queue({ kind: 'http', target: `${tarpit.url}/` });
    await running(worker, id);
    // Let the TLS probe finish; the GET then waits on the tarpit.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const asked = Date.now();
    const requested = await control(id, 'cancel');
    expect(requested.status).toBe(202);
    expect(requested.body.status).toBe(ScanStatus.Running);
    expect(requested.body.cancelRequestedAt).toEqual(expect.any(String));
    const cancelled = await eventuallyScan(
      status,
      id,
      (scan) => scan.status === ScanStatus.Cancelled,
      10_000,
    );
    // One renewal is a third of LEASE_MS (500 ms); allow for a loaded machine.
    expect(Date.now() - asked).toBeLessThan(4_000);
    expect(cancelled.error).toContain('cancelled');
    expect(cancelled.result?.tls?.protocol).toEqual(expect.any(String));
    expect(cancelled.result?.findings.map((f) => f.check)).toContain(
      'tls.certificate.expiring',
    );
    expect((await history(id)).map((entry) => entry.kind)).toEqual([
      'claim',
      'cancel',
      'end',
    ]);
    await worker.waitForLog(
      (line: LogLine) =>
        line['event'] === 'scan.cancelled' && line['scanId'] === id,
      5_000,
      'the worker logging the cancel',
    );
    // Cancelling it again is idempotent.
    expect((await control(id, 'cancel')).status).toBe(200);
  }, 60_000);

  it('S-17: a cancel asked of a scan whose worker was killed ends it when its lease expires', async () => {
    const worker = await processor({ SCAN_TIMEOUT_MS: '60000' });
    const id = await queue({ kind: 'http', target: `${tarpit.url}/killed` });
    await running(worker, id);
    await worker.stop('SIGKILL');
    const requested = await control(id, 'cancel');
    expect(requested.status).toBe(202);
    await processor({ SCAN_TIMEOUT_MS: '60000' });
    const cancelled = await eventuallyScan(
      status,
      id,
      (scan) => scan.status === ScanStatus.Cancelled,
      15_000,
    );
    expect(cancelled.attempts).toBe(1);
    // Never run a second time.
    expect(
      (await history(id)).filter((entry) => entry.kind === 'claim'),
    ).toHaveLength(1);
  }, 60_000);

  it('S-17: a Failed scan retried runs again with the next attempt number and a budget of its own', async () => {
    const worker = await processor({ FAILURE_RATE: '1', MAX_ATTEMPTS: '1' });
    const id = await queue();
    const failed = await eventuallyScan(
      status,
      id,
      (scan) => scan.status === ScanStatus.Failed,
      20_000,
    );
    expect(failed.attempts).toBe(1);
    const retried = await control(id, 'retry');
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe(ScanStatus.Accepted);
    const again = await eventuallyScan(
      status,
      id,
      (scan) => scan.status === ScanStatus.Failed && scan.attempts === 2,
      20_000,
    );
    expect(again.error).toContain('simulated');
    const entries = await history(id);
    expect(entries.map((entry) => [entry.kind, entry.attempt])).toEqual([
      ['claim', 1],
      ['end', 1],
      ['retry', 1],
      ['claim', 2],
      ['end', 2],
    ]);
  }, 60_000);

  it('S-17: unknown and malformed ids, and a running scan retried', async () => {
    const unknown = await control(
      '00000000-0000-4000-8000-000000000000',
      'cancel',
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body['scanStatus']).toBe('Not-Found');
    const malformed = await control('not-a-uuid', 'retry');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain(
      'application/problem+json',
    );
    const worker = await processor({ SCAN_TIMEOUT_MS: '60000' });
    const id = await queue({ kind: 'http', target: `${tarpit.url}/retry` });
    await running(worker, id);
    const refused = await control(id, 'retry');
    expect(refused.status).toBe(409);
    expect(refused.body['scanStatus']).toBe(ScanStatus.Running);
    expect((await getScan(status, id)).status).toBe(ScanStatus.Running);
    expect((await control(id, 'cancel')).status).toBe(202);
    await eventuallyScan(
      status,
      id,
      (scan) => scan.status === ScanStatus.Cancelled,
      10_000,
    );
  }, 60_000);
});
