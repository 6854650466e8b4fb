import { AppProcess, ensureMongoUri, LogLine } from '@gatehouse/shared/testing';
import { ScanStatus } from '@gatehouse/shared/contracts';
import {
  allScans,
  createScans,
  databaseUri,
  getScan,
  startApp,
  stopAll,
  waitForSummary,
} from './support/scans-e2e.helpers';

// Black-box: the built apps as real processes against a real database (the FerretDB test DB
// unless MONGODB_URI points at MongoDB).
describe('scan pipeline: ingest → processor → status', () => {
  let db: { uri: string; stop(): Promise<void> };
  let mongoUri: string;
  let ingest: AppProcess;
  let status: AppProcess;
  const workers: AppProcess[] = [];

  const processor = async (
    env: Record<string, string>,
  ): Promise<AppProcess> => {
    const app = await startApp('processor', {
      env: {
        MONGODB_URI: mongoUri,
        FAILURE_RATE: '0',
        MIN_WORK_MS: '5',
        MAX_WORK_MS: '20',
        LOG_LEVEL: 'info',
        ...env,
      },
    });
    workers.push(app);
    return app;
  };

  const events = (app: AppProcess, event: string): LogLine[] =>
    app.logs.filter((line) => line['event'] === event);

  beforeAll(async () => {
    db = await ensureMongoUri();
    mongoUri = databaseUri(db.uri, 'e2e_pipeline');
    [ingest, status] = await Promise.all([
      startApp('ingest', { env: { MONGODB_URI: mongoUri } }),
      startApp('status', { env: { MONGODB_URI: mongoUri } }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await stopAll([ingest, status, ...workers]);
    await db?.stop();
  });

  it('S-5 S-7 S-9: two processors complete 100 scans, each exactly once (attempts == 1)', async () => {
    const [a, b] = await Promise.all([
      processor({ CONCURRENCY: '4' }),
      processor({ CONCURRENCY: '4' }),
    ]);
    const ids = await createScans(ingest, 100);
    await waitForSummary(
      status,
      (s) => s.Complete === 100,
      60_000,
      '100 scans Complete',
    );
    const scans = await allScans(status);
    expect(scans).toHaveLength(100);
    expect(
      scans.every(
        (scan) => scan.status === ScanStatus.Complete && scan.attempts === 1,
      ),
    ).toBe(true);
    expect(new Set(scans.map((scan) => scan.scanId))).toEqual(new Set(ids));

    // S-5: one claim per scan across both workers. S-9: every state change names scan, attempt, worker.
    const running = [
      ...events(a, 'scan.running'),
      ...events(b, 'scan.running'),
    ];
    expect(running).toHaveLength(100);
    expect(new Set(running.map((line) => line['scanId'])).size).toBe(100);
    const complete = [
      ...events(a, 'scan.complete'),
      ...events(b, 'scan.complete'),
    ];
    expect(complete).toHaveLength(100);
    for (const line of [...running, ...complete]) {
      expect(line).toMatchObject({
        scanId: expect.any(String),
        attempt: 1,
        workerId: expect.any(String),
      });
    }
    // S-7: both replicas took part.
    expect(events(a, 'scan.running').length).toBeGreaterThan(0);
    expect(events(b, 'scan.running').length).toBeGreaterThan(0);
    await stopAll([a, b]);
  });

  it('S-6: after kill -9 of a worker holding scans, another worker completes them as attempt 2', async () => {
    const doomed = await processor({
      CONCURRENCY: '3',
      MIN_WORK_MS: '60000',
      MAX_WORK_MS: '60000',
      LEASE_MS: '1500',
    });
    const ids = await createScans(ingest, 3);
    await doomed.waitForLog(
      () => events(doomed, 'scan.running').length === 3,
      15_000,
      '3 scans running',
    );
    await doomed.stop('SIGKILL');
    const survivor = await processor({ CONCURRENCY: '3', LEASE_MS: '1500' });
    await waitForSummary(
      status,
      (s) => s.Complete === 103,
      30_000,
      'the 3 orphaned scans Complete',
    );
    for (const id of ids) {
      expect(await getScan(status, id)).toMatchObject({
        status: ScanStatus.Complete,
        attempts: 2,
        workerId: expect.stringContaining(':'),
      });
    }
    const reclaimed = events(survivor, 'scan.running').filter((line) =>
      ids.includes(String(line['scanId'])),
    );
    expect(reclaimed).toHaveLength(3);
    expect(reclaimed.every((line) => line['attempt'] === 2)).toBe(true);
    await survivor.stop();
  });

  it('S-8: SIGTERM drains — in-flight scans finish within the grace period and the worker exits 0', async () => {
    const worker = await processor({
      CONCURRENCY: '2',
      MIN_WORK_MS: '1000',
      MAX_WORK_MS: '1000',
      SHUTDOWN_GRACE_MS: '5000',
    });
    const ids = await createScans(ingest, 2);
    await worker.waitForLog(
      () => events(worker, 'scan.running').length === 2,
      15_000,
      '2 scans running',
    );
    const started = Date.now();
    const exit = await worker.stop('SIGTERM', 10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const id of ids)
      expect(await getScan(status, id)).toMatchObject({
        status: ScanStatus.Complete,
        attempts: 1,
      });
  });

  it('S-8: SIGTERM releases scans that cannot finish in the grace period, exits 0, and another worker runs them', async () => {
    const worker = await processor({
      CONCURRENCY: '2',
      MIN_WORK_MS: '60000',
      MAX_WORK_MS: '60000',
      SHUTDOWN_GRACE_MS: '1000',
    });
    const ids = await createScans(ingest, 2);
    await worker.waitForLog(
      () => events(worker, 'scan.running').length === 2,
      15_000,
      '2 scans running',
    );
    const started = Date.now();
    expect(await worker.stop('SIGTERM', 10_000)).toEqual({
      code: 0,
      signal: null,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(events(worker, 'scan.released')).toHaveLength(2);
    for (const id of ids)
      expect(await getScan(status, id)).toMatchObject({
        status: ScanStatus.Accepted,
        attempts: 1,
        workerId: null,
      });
    const next = await processor({ CONCURRENCY: '2' });
    await waitForSummary(
      status,
      (s) => s.Complete === 107,
      20_000,
      'released scans Complete',
    );
    for (const id of ids)
      expect(await getScan(status, id)).toMatchObject({
        status: ScanStatus.Complete,
        attempts: 2,
      });
    await next.stop();
  });

  it('S-4: a failing job marks the scan Failed with the error', async () => {
    const worker = await processor({ CONCURRENCY: '2', FAILURE_RATE: '1' });
    const [id] = await createScans(ingest, 1);
    await waitForSummary(
      status,
      (s) => s.Failed === 1,
      20_000,
      'one scan Failed',
    );
    expect(await getScan(status, id)).toMatchObject({
      status: ScanStatus.Failed,
      attempts: 1,
      error: 'simulated scan failure',
    });
    await worker.stop();
  });

  it('S-12: the processor serves /health/live, /health/ready and /metrics', async () => {
    const worker = await processor({});
    expect((await fetch(`${worker.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${worker.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      info: { mongodb: { status: 'up' } },
    });
    expect(await (await fetch(`${worker.url}/metrics`)).text()).toContain(
      'scans_claimed_total',
    );
    await worker.stop();
  });
});
