import { AppProcess, ensureMongoUri, LogLine } from '@gatehouse/shared/testing';
import { ScanStatus } from '@gatehouse/shared/contracts';
import mongoose, { Connection } from 'mongoose';
import {
  allScans,
  createScans,
  databaseUri,
  startApp,
  stopAll,
  request,
  waitForSummary,
} from './support/scans-e2e.helpers';

const SCANS = 300;
const WORKERS = 3;
const KILL_EVERY_MS = 2_500;
const LEASE_MS = 1_500;

interface AttemptEntry {
  _id: string;
  scanId: string;
  seq: number;
  kind: 'claim' | 'end';
  attempt: number;
  workerId: string;
  status?: ScanStatus;
}

// S-5, S-6: three workers, one of them killed (SIGKILL) every few seconds and replaced, while
// they work through 300 scans. Afterwards the attempt log, the worker logs and the status API
// must agree: no attempt started twice, no scan lost, none left Running or queued.
describe('chaos: workers killed while they hold scans', () => {
  let db: { uri: string; stop(): Promise<void> };
  let mongoUri: string;
  let ingest: AppProcess;
  let status: AppProcess;
  let connection: Connection;
  const workers: AppProcess[] = [];
  const everyWorker: AppProcess[] = [];

  const startWorker = async (): Promise<AppProcess> => {
    const app = await startApp('processor', {
      env: {
        MONGODB_URI: mongoUri,
        CONCURRENCY: '4',
        FAILURE_RATE: '0',
        MIN_WORK_MS: '300',
        MAX_WORK_MS: '900',
        LEASE_MS: String(LEASE_MS),
        POLL_MAX_MS: '250',
        // Kills never exhaust a scan here: every scan must end Complete.
        MAX_ATTEMPTS: '50',
        LOG_LEVEL: 'info',
      },
      timeoutMs: 60_000,
    });
    everyWorker.push(app);
    return app;
  };

  beforeAll(async () => {
    db = await ensureMongoUri();
    mongoUri = databaseUri(db.uri, 'e2e_chaos');
    [ingest, status] = await Promise.all([
      startApp('ingest', { env: { MONGODB_URI: mongoUri } }),
      startApp('status', { env: { MONGODB_URI: mongoUri } }),
    ]);
    connection = await mongoose.createConnection(mongoUri).asPromise();
  }, 240_000);

  afterAll(async () => {
    await connection?.close();
    await stopAll([ingest, status, ...everyWorker]);
    await db?.stop();
  });

  it(`S-5 S-6: ${SCANS} scans, ${WORKERS} workers, one killed every ${KILL_EVERY_MS} ms: no attempt runs twice, none is lost`, async () => {
    const ids = await createScans(ingest, SCANS);
    workers.push(
      ...(await Promise.all(Array.from({ length: WORKERS }, startWorker))),
    );

    let kills = 0;
    let done = false;
    const chaos = (async () => {
      while (!done) {
        await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
        if (done) break;
        const victim = workers.splice(
          Math.floor(Math.random() * workers.length),
          1,
        )[0];
        await victim.stop('SIGKILL');
        kills++;
        workers.push(await startWorker());
      }
    })();
    try {
      await waitForSummary(
        status,
        (s) => s.Complete === SCANS,
        150_000,
        `all ${SCANS} scans Complete under chaos`,
      );
    } finally {
      done = true;
      await chaos;
    }

    // Nothing left open: the view, the queue and the API agree.
    const scans = await allScans(status);
    expect(scans).toHaveLength(SCANS);
    expect(new Set(scans.map((scan) => scan.scanId))).toEqual(new Set(ids));
    expect(scans.filter((scan) => scan.status !== ScanStatus.Complete)).toEqual(
      [],
    );
    expect(await connection.collection('scan_queue').countDocuments()).toBe(0);
    expect(await connection.collection('scan_leases').countDocuments()).toBe(0);

    // S-11: the summary comes from counters, not from the scans; once the queue is quiet the
    // idle workers' recount leaves them equal to a count of the scans themselves.
    const recount = {
      Accepted: 0,
      Running: 0,
      Complete: scans.length,
      Failed: 0,
      Cancelled: 0,
      total: scans.length,
    };
    await waitForSummary(
      status,
      (s) =>
        Object.entries(recount).every(
          ([key, n]) => s[key as keyof typeof s] === n,
        ),
      20_000,
      'the summary counters equal to a recount after the kill storm',
    );
    const repaired = await request(`${status.url}/scans/summary/repair`, {
      method: 'POST',
    });
    expect(repaired.body).toEqual({ before: recount, after: recount });

    // The attempt log: per scan, claims 1..n then one end of attempt n, with no gap.
    const log = (await connection
      .collection('scan_attempts')
      .find({})
      .toArray()) as unknown as AttemptEntry[];
    const byScan = new Map<string, AttemptEntry[]>();
    for (const entry of log)
      byScan.set(entry.scanId, [...(byScan.get(entry.scanId) ?? []), entry]);
    expect(byScan.size).toBe(SCANS);
    for (const [scanId, entries] of byScan) {
      entries.sort((a, b) => a.seq - b.seq);
      const end = entries[entries.length - 1];
      expect({ scanId, kind: end.kind, status: end.status }).toEqual({
        scanId,
        kind: 'end',
        status: ScanStatus.Complete,
      });
      expect(entries.map((entry) => entry.seq)).toEqual(
        entries.map((_, i) => i + 1),
      );
      expect(entries.filter((entry) => entry.kind === 'end')).toHaveLength(1);
    }

    // No attempt started twice: every `scan.running` line of every worker, killed or not,
    // names a distinct (scan, attempt), and the log's claim names the same worker.
    const running: LogLine[] = everyWorker.flatMap((worker) =>
      worker.logs.filter((line) => line['event'] === 'scan.running'),
    );
    const started = running.map(
      (line) => `${String(line['scanId'])}:${String(line['attempt'])}`,
    );
    expect(started.length).toBeGreaterThanOrEqual(SCANS);
    expect(new Set(started).size).toBe(started.length);
    const claimedBy = new Map(
      log
        .filter((entry) => entry.kind === 'claim')
        .map((entry) => [entry._id, entry.workerId]),
    );
    for (const line of running)
      expect(
        claimedBy.get(`${String(line['scanId'])}:${String(line['attempt'])}`),
      ).toBe(line['workerId']);

    // The chaos really hit running work: several kills, and scans that needed a second attempt.
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(scans.some((scan) => scan.attempts >= 2)).toBe(true);
  }, 240_000);
});
