// Runs against a real MongoDB wire server: MONGODB_URI if set, else the FerretDB test DB.
// It never skips: without Go or a database, beforeAll fails and says why.
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the test DB helper lives in the testing lib
import { ensureMongoUri, eventually } from '@gatehouse/shared/testing';
import { ScanStatus } from '@gatehouse/shared/contracts';
import { randomUUID } from 'node:crypto';
import mongoose, { Connection } from 'mongoose';
import { InvalidCursorError } from './scan-cursor';
import { ScanAttempt, ScanAttemptSchema } from './scan-attempt.schema';
import { ScanClaimRepository } from './scan-claim.repository';
import { ScanCounter, ScanCounterSchema } from './scan-counter.schema';
import { ScanCounters } from './scan-counters';
import type { ClaimOptions } from './scan-claim.types';
import { MOVE_AFTER_MS } from './scan-claimer';
import { ScanIntakeRepository } from './scan-intake.repository';
import {
  ScanQueueEntry,
  ScanQueueEntrySchema,
} from './scan-queue-entry.schema';
import { ScanLease, ScanLeaseSchema } from './scan-lease.schema';
import { ScanReadRepository } from './scan-read.repository';
import { ScanControlRepository } from './scan-control.repository';
import { ScanStoreSetup } from './scan-store.setup';
import { ScanWebhookRepository } from './scan-webhook.repository';
import { ScanWebhook, ScanWebhookSchema } from './scan-webhook.schema';
import { Scan, ScanSchema } from './scan.schema';
import { scansConnectionOptions } from './scans-connection-options';
import { ScanStoreUnavailableError } from './scan-store-unavailable.error';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The three repositories over one connection, as one app process would have them.
class Store {
  readonly setup: ScanStoreSetup;
  readonly intake: ScanIntakeRepository;
  readonly reads: ScanReadRepository;
  readonly claims: ScanClaimRepository;
  readonly control: ScanControlRepository;
  readonly counters: ScanCounters;
  readonly webhooks: ScanWebhookRepository;

  constructor(readonly connection: Connection) {
    const scans = connection.model(Scan.name, ScanSchema);
    const attempts = connection.model(ScanAttempt.name, ScanAttemptSchema);
    const queue = connection.model(ScanQueueEntry.name, ScanQueueEntrySchema);
    const leases = connection.model(ScanLease.name, ScanLeaseSchema);
    const webhooks = connection.model(ScanWebhook.name, ScanWebhookSchema);
    const counters = new ScanCounters(
      connection.model(ScanCounter.name, ScanCounterSchema),
      scans,
    );
    this.counters = counters;
    this.setup = new ScanStoreSetup(scans, attempts, queue, leases, webhooks);
    this.intake = new ScanIntakeRepository(scans, this.setup, counters);
    this.reads = new ScanReadRepository(scans, attempts, this.setup, counters);
    this.claims = new ScanClaimRepository(
      scans,
      attempts,
      queue,
      leases,
      webhooks,
      this.setup,
      counters,
    );
    this.control = new ScanControlRepository(
      scans,
      attempts,
      queue,
      leases,
      webhooks,
      this.setup,
      counters,
    );
    this.webhooks = new ScanWebhookRepository(
      scans,
      attempts,
      webhooks,
      this.setup,
    );
  }

  create(...args: Parameters<ScanIntakeRepository['create']>) {
    return this.intake.create(...args);
  }
  findById(scanId: string) {
    return this.reads.findById(scanId);
  }
  list(...args: Parameters<ScanReadRepository['list']>) {
    return this.reads.list(...args);
  }
  summary() {
    return this.reads.summary();
  }
  history(scanId: string) {
    return this.reads.history(scanId);
  }
  claim(...args: Parameters<ScanClaimRepository['claim']>) {
    return this.claims.claim(...args);
  }
  claimNext(...args: Parameters<ScanClaimRepository['claimNext']>) {
    return this.claims.claimNext(...args);
  }
  renewLease(...args: Parameters<ScanClaimRepository['renewLease']>) {
    return this.claims.renewLease(...args);
  }
  complete(...args: Parameters<ScanClaimRepository['complete']>) {
    return this.claims.complete(...args);
  }
  fail(...args: Parameters<ScanClaimRepository['fail']>) {
    return this.claims.fail(...args);
  }
  release(...args: Parameters<ScanClaimRepository['release']>) {
    return this.claims.release(...args);
  }
  // Open work: waiting in scan_queue and running in scan_leases.
  async queued(): Promise<string[]> {
    const ids = async (name: string) =>
      (await this.connection.collection(name).find({}).toArray()).map((entry) =>
        String(entry['_id']),
      );
    return [...(await ids('scan_queue')), ...(await ids('scan_leases'))];
  }
}

describe('scan repositories against a real database', () => {
  let db: { uri: string; stop(): Promise<void> };
  const connections: Connection[] = [];
  let repos: Store[] = [];
  let repo: Store;
  const dbName = `scans_it_${randomUUID().slice(0, 8)}`;

  async function connect(): Promise<Store> {
    const connection = await mongoose
      .createConnection(db.uri, {
        ...scansConnectionOptions('scans-it'),
        dbName,
      })
      .asPromise();
    connections.push(connection);
    return new Store(connection);
  }

  beforeAll(async () => {
    db = await ensureMongoUri();
    // Several connections, so that competing claims really are concurrent on the server.
    repos = await Promise.all([connect(), connect(), connect(), connect()]);
    repo = repos[0];
    await repo.setup.ensureIndexes();
  }, 240_000);

  afterAll(async () => {
    await connections[0]?.dropDatabase().catch(() => undefined);
    await Promise.all(connections.map((connection) => connection.close()));
    await db?.stop();
  });

  const opts: ClaimOptions = { leaseMs: 30_000, maxAttempts: 3 };

  describe('create (S-1, S-2)', () => {
    it('stores an Accepted scan with every S-2 field', async () => {
      const { scan, created } = await repo.create({ target: 'example.com' });
      expect(created).toBe(true);
      const found = await repo.findById(scan.scanId);
      expect(found).toMatchObject({
        scanId: scan.scanId,
        status: ScanStatus.Accepted,
        target: 'example.com',
        attempts: 0,
        startedAt: null,
        finishedAt: null,
        error: null,
        workerId: null,
        leaseUntil: null,
      });
      expect(found?.createdAt).toBeInstanceOf(Date);
      expect(found?.updatedAt).toBeInstanceOf(Date);
      expect(await repo.findById(randomUUID())).toBeNull();
    });

    it('returns the same scan for a retried idempotency key, even when the retries race', async () => {
      const key = `race-${randomUUID()}`;
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          repos[i % repos.length].create({
            target: 'a.example',
            idempotencyKey: key,
          }),
        ),
      );
      const ids = new Set(results.map((result) => result.scan.scanId));
      expect(ids.size).toBe(1);
      expect(results.filter((result) => result.created)).toHaveLength(1);
      const again = await repo.create({
        target: 'a.example',
        idempotencyKey: key,
      });
      expect(again).toMatchObject({
        created: false,
        scan: { scanId: [...ids][0] },
      });
    });

    it('lets many scans exist without an idempotency key (sparse unique index)', async () => {
      const a = await repo.create({});
      const b = await repo.create({});
      expect(a.scan.scanId).not.toBe(b.scan.scanId);
      expect(a.scan.idempotencyKey).toBeUndefined();
    });
  });

  describe('list and summary (S-11)', () => {
    it('pages newest first with an opaque cursor, without gaps or repeats', async () => {
      const created: string[] = [];
      for (let i = 0; i < 23; i++)
        created.push(
          (await repo.create({ target: `page-${i}.example` })).scan.scanId,
        );
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await repo.list({ limit: 10, cursor });
        seen.push(...page.items.map((item) => item.scanId));
        for (let i = 1; i < page.items.length; i++) {
          expect(page.items[i - 1].createdAt.getTime()).toBeGreaterThanOrEqual(
            page.items[i].createdAt.getTime(),
          );
        }
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 100);
      expect(new Set(seen).size).toBe(seen.length);
      // Newest first: the last scan created is the first one listed.
      expect(seen[0]).toBe(created[created.length - 1]);
      expect(seen).toEqual(expect.arrayContaining(created));
    });

    it('filters by status and rejects a forged cursor', async () => {
      const page = await repo.list({ status: ScanStatus.Complete, limit: 100 });
      expect(
        page.items.every((item) => item.status === ScanStatus.Complete),
      ).toBe(true);
      await expect(
        repo.list({ limit: 10, cursor: 'bm90LWEtY3Vyc29y' }),
      ).rejects.toThrow(InvalidCursorError);
    });

    it('counts scans by status', async () => {
      const summary = await repo.summary();
      const page = await repo.list({ limit: 1000 });
      expect(summary.total).toBe(page.items.length);
      expect(
        summary.Accepted + summary.Running + summary.Complete + summary.Failed,
      ).toBe(summary.total);
    });
  });

  describe('claim protocol (S-4, S-5, S-6)', () => {
    it('gives a scan to exactly one of many concurrent claimers, every time', async () => {
      for (let round = 0; round < 15; round++) {
        const { scan } = await repo.create({
          target: `claim-${round}.example`,
        });
        const claimers = Array.from({ length: 12 }, (_, i) =>
          repos[i % repos.length].claim(scan.scanId, `w${i}`, opts),
        );
        const winners = (await Promise.all(claimers)).filter(
          (result) => result.claimed,
        );
        expect(winners).toHaveLength(1);
        const history = await repo.history(scan.scanId);
        expect(history).toHaveLength(1);
        expect(history[0]).toMatchObject({ kind: 'claim', attempt: 1 });
        expect(await repo.findById(scan.scanId)).toMatchObject({
          status: ScanStatus.Running,
          attempts: 1,
          workerId: history[0].workerId,
        });
      }
    });

    it('hands each of many scans to exactly one of many concurrent pollers', async () => {
      const fresh = await connectFreshDb();
      const ids = new Set<string>();
      for (let i = 0; i < 30; i++)
        ids.add((await fresh[0].create({})).scan.scanId);
      const claimedBy = new Map<string, number>();
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (;;) {
            const { claimed } = await fresh[w % fresh.length].claimNext(
              `poller-${w}`,
              opts,
            );
            if (!claimed) return;
            claimedBy.set(
              claimed.scanId,
              (claimedBy.get(claimed.scanId) ?? 0) + 1,
            );
          }
        }),
      );
      expect([...claimedBy.keys()].sort()).toEqual([...ids].sort());
      expect([...claimedBy.values()].every((count) => count === 1)).toBe(true);
    });

    it('completes under the lease and records the history', async () => {
      const { scan } = await repo.create({});
      const { claimed } = await repo.claim(scan.scanId, 'w-a', opts);
      expect(claimed).toMatchObject({ attempt: 1, reclaimed: false });
      expect(await repo.renewLease(scan.scanId, 1, 'w-a', 60_000)).toEqual({
        leaseUntil: expect.any(Date),
        cancelRequested: false,
      });
      expect(await repo.complete(scan.scanId, 1, 'w-a')).toBe(true);
      // Idempotent for its owner: a retry of the same outcome is not a lost attempt.
      expect(await repo.complete(scan.scanId, 1, 'w-a')).toBe(true);
      expect(await repo.findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Complete,
        attempts: 1,
        leaseUntil: null,
        error: null,
      });
      const history = await repo.history(scan.scanId);
      expect(history.map((entry) => [entry.kind, entry.attempt])).toEqual([
        ['claim', 1],
        ['end', 1],
      ]);
    });

    it('reclaims an expired lease and ignores the late completion of the lost attempt', async () => {
      const { scan } = await repo.create({});
      // Long enough to be certainly live at the first check, even on a loaded machine.
      await repo.claim(scan.scanId, 'w-slow', { ...opts, leaseMs: 2_000 });
      expect(
        (await repos[1].claim(scan.scanId, 'w-fast', opts)).claimed,
      ).toBeNull();
      await sleep(2_100);
      const { claimed } = await repos[1].claim(scan.scanId, 'w-fast', opts);
      expect(claimed).toMatchObject({ attempt: 2, reclaimed: true });
      // The slow worker wakes up: renewals, failures and completions of attempt 1 are fenced off.
      expect(
        await repo.renewLease(scan.scanId, 1, 'w-slow', 60_000),
      ).toBeNull();
      expect(await repo.fail(scan.scanId, 1, 'w-slow', 'late')).toBe(false);
      expect(await repo.complete(scan.scanId, 1, 'w-slow')).toBe(false);
      expect(await repo.findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Running,
        attempts: 2,
        workerId: 'w-fast',
      });
      // A worker cannot finish an attempt it never claimed.
      expect(await repo.complete(scan.scanId, 2, 'w-slow')).toBe(false);
      expect(await repos[1].complete(scan.scanId, 2, 'w-fast')).toBe(true);
      expect(await repo.findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Complete,
        attempts: 2,
        workerId: 'w-fast',
      });
    });

    it('lets exactly one of a late completion and a reclaim win, every time', async () => {
      const outcomes = { completed: 0, reclaimed: 0 };
      for (let round = 0; round < 15; round++) {
        const { scan } = await repo.create({});
        await repo.claim(scan.scanId, 'w-old', { ...opts, leaseMs: 1 });
        await sleep(5);
        const [completed, reclaim] = await Promise.all([
          repos[1].complete(scan.scanId, 1, 'w-old'),
          repos[2].claim(scan.scanId, 'w-new', opts),
        ]);
        expect(completed !== (reclaim.claimed !== null)).toBe(true);
        const final = await repo.findById(scan.scanId);
        if (completed) {
          outcomes.completed++;
          expect(final).toMatchObject({
            status: ScanStatus.Complete,
            attempts: 1,
          });
        } else {
          outcomes.reclaimed++;
          expect(final).toMatchObject({
            status: ScanStatus.Running,
            attempts: 2,
            workerId: 'w-new',
          });
        }
      }
      expect(outcomes.completed + outcomes.reclaimed).toBe(15);
    });

    it('fails a scan whose last allowed attempt expired, with the reason (MAX_ATTEMPTS)', async () => {
      const fresh = await connectFreshDb();
      const short: ClaimOptions = { leaseMs: 20, maxAttempts: 2 };
      const { scan } = await fresh[0].create({});
      expect((await fresh[0].claimNext('w1', short)).claimed).toMatchObject({
        scanId: scan.scanId,
        attempt: 1,
      });
      await sleep(40);
      expect((await fresh[1].claimNext('w2', short)).claimed).toMatchObject({
        scanId: scan.scanId,
        attempt: 2,
        reclaimed: true,
      });
      await sleep(40);
      const result = await fresh[2].claimNext('w3', short);
      expect(result.claimed).toBeNull();
      expect(result.exhausted).toEqual([
        {
          scanId: scan.scanId,
          attempt: 2,
          error: expect.stringContaining('attempt 2 of 2'),
        },
      ]);
      expect(await fresh[0].findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Failed,
        attempts: 2,
        error: expect.stringContaining('lease expired'),
      });
      expect((await fresh[0].claimNext('w4', short)).claimed).toBeNull();
    });

    it('releases a scan on shutdown without counting it as a failed attempt', async () => {
      const fresh = await connectFreshDb();
      const one: ClaimOptions = { leaseMs: 30_000, maxAttempts: 1 };
      const { scan } = await fresh[0].create({});
      await fresh[0].claimNext('w1', one);
      expect(await fresh[0].release(scan.scanId, 1, 'w1')).toBe(true);
      expect(await fresh[0].findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Accepted,
        attempts: 1,
        workerId: null,
      });
      const { claimed } = await fresh[1].claimNext('w2', one);
      expect(claimed).toMatchObject({ scanId: scan.scanId, attempt: 2 });
      expect(await fresh[0].complete(scan.scanId, 1, 'w1')).toBe(false);
    });

    it('treats a retried completion whose first write landed as won, and nothing else', async () => {
      const fresh = await connectFreshDb();
      const { scan } = await fresh[0].create({});
      await fresh[0].claimNext('w1', opts);
      expect(await fresh[0].complete(scan.scanId, 1, 'w1')).toBe(true);
      expect(await fresh[0].complete(scan.scanId, 1, 'w1')).toBe(true);
      expect(await fresh[0].fail(scan.scanId, 1, 'w1', 'late')).toBe(false);
      expect(await fresh[1].complete(scan.scanId, 1, 'w2')).toBe(false);
      expect(await fresh[0].findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Complete,
        attempts: 1,
      });
    });

    it('repairs a scan document that lags the attempt log', async () => {
      const fresh = await connectFreshDb();
      const { scan } = await fresh[0].create({});
      await fresh[0].claimNext('w1', opts);
      // As if the claim's write-back had been lost: the document still says Accepted.
      await connections[connections.length - 1].collection('scans').updateOne(
        { scanId: scan.scanId },
        {
          $set: { status: ScanStatus.Accepted, attempts: 0, workerId: null },
        },
      );
      // Other workers neither claim nor touch a live claim's view; its owner mends it on renewal.
      expect((await fresh[1].claimNext('w2', opts)).claimed).toBeNull();
      expect(
        await fresh[0].renewLease(scan.scanId, 1, 'w1', opts.leaseMs),
      ).not.toBeNull();
      expect(await fresh[0].findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Running,
        attempts: 1,
        workerId: 'w1',
      });
      expect(await fresh[0].complete(scan.scanId, 1, 'w1')).toBe(true);
      expect(await fresh[0].queued()).toEqual([]);

      // A finisher that stopped after appending its end, before projecting it: the view and
      // the queue still say Running, with a lease that has expired. A poll repairs both.
      const { scan: other } = await fresh[0].create({});
      await fresh[0].claimNext('w1', { ...opts, leaseMs: 1 });
      await connections[connections.length - 1]
        .collection('scan_attempts')
        .insertOne({
          _id: `${other.scanId}:2` as unknown as never,
          scanId: other.scanId,
          seq: 2,
          kind: 'end',
          attempt: 1,
          workerId: 'w1',
          at: new Date(),
          status: ScanStatus.Complete,
        });
      await sleep(10);
      expect((await fresh[1].claimNext('w2', opts)).claimed).toBeNull();
      expect(await fresh[0].findById(other.scanId)).toMatchObject({
        status: ScanStatus.Complete,
        attempts: 1,
      });
      expect(await fresh[0].queued()).toEqual([]);
    });
  });

  describe('cancel and retry (S-17)', () => {
    it('cancels a waiting scan at once, so no worker claims it; a retry queues it again', async () => {
      const { scan } = await repo.create({ target: 'cancel-waiting.example' });
      expect(await repo.control.cancel(scan.scanId)).toMatchObject({
        outcome: 'cancelled',
        scan: { status: ScanStatus.Cancelled, error: 'cancelled by request' },
      });
      expect(await repo.control.cancel(scan.scanId)).toMatchObject({
        outcome: 'cancelled',
      });
      expect((await repo.claim(scan.scanId, 'w', opts)).claimed).toBeNull();
      expect(await repo.queued()).not.toContain(scan.scanId);
      expect(await repo.control.retry(scan.scanId)).toMatchObject({
        outcome: 'queued',
        scan: { status: ScanStatus.Accepted, error: null },
      });
      expect(await repo.control.retry(scan.scanId)).toMatchObject({
        outcome: 'refused',
      });
      const { claimed } = await repo.claim(scan.scanId, 'w', opts);
      // seq 1 is the cancel, 2 the retry: the first attempt's claim is seq 3.
      expect(claimed).toMatchObject({ attempt: 1, seq: 3, runAttempt: 1 });
      expect(await repo.complete(scan.scanId, 3, 'w')).toBe(true);
      expect(await repo.control.cancel(scan.scanId)).toMatchObject({
        outcome: 'refused',
        scan: { status: ScanStatus.Complete },
      });
      expect((await repo.history(scan.scanId)).map((e) => e.kind)).toEqual([
        'end',
        'retry',
        'claim',
        'end',
      ]);
    });

    it('asks the worker of a running scan to stop, and fences every write but its Cancelled', async () => {
      const { scan } = await repo.create({ target: 'cancel-running.example' });
      await repo.claim(scan.scanId, 'w', opts);
      expect(await repo.control.cancel(scan.scanId)).toMatchObject({
        outcome: 'requested',
        scan: {
          status: ScanStatus.Running,
          cancelRequestedAt: expect.any(Date),
        },
      });
      expect(await repo.renewLease(scan.scanId, 1, 'w', 30_000)).toEqual({
        leaseUntil: expect.any(Date),
        cancelRequested: true,
      });
      const partial = {
        summary: { info: 0, low: 1, medium: 0, high: 0, critical: 0 },
        findings: [],
        tls: null,
        http: null,
      };
      expect(
        await repo.claims.cancelled(scan.scanId, 1, 'w', partial as never),
      ).toBe(true);
      expect(await repo.complete(scan.scanId, 1, 'w')).toBe(false);
      expect(await repo.findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Cancelled,
        result: partial,
      });
    });

    it('a cancel racing the claims of four workers: exactly one wins, and nothing runs after a Cancelled', async () => {
      for (let round = 0; round < 5; round++) {
        const { scan } = await repo.create({ target: `race-${round}.example` });
        const [cancel, ...claims] = await Promise.all([
          repos[0].control.cancel(scan.scanId),
          ...repos.map((store, i) => store.claim(scan.scanId, `w${i}`, opts)),
        ]);
        const won = claims.filter((c) => c.claimed !== null);
        expect(won.length).toBeLessThanOrEqual(1);
        if (cancel?.outcome === 'cancelled') expect(won).toHaveLength(0);
        else {
          expect(cancel?.outcome).toBe('requested');
          expect(won).toHaveLength(1);
        }
      }
    });

    it('a retried scan gets MAX_ATTEMPTS of its own', async () => {
      const { scan } = await repo.create({ target: 'budget.example' });
      await repo.claim(scan.scanId, 'w', opts);
      expect(await repo.fail(scan.scanId, 1, 'w', 'boom')).toBe(true);
      await repo.control.retry(scan.scanId);
      const short = { ...opts, leaseMs: 50, maxAttempts: 1 };
      const { claimed } = await repo.claim(scan.scanId, 'w', short);
      expect(claimed).toMatchObject({ attempt: 2, seq: 4, runAttempt: 1 });
      await sleep(120);
      // Its one attempt's lease expired: the run's budget (1) is spent, so it ends Failed.
      const { exhausted } = await repo.claim(scan.scanId, 'w2', short);
      expect(exhausted).toHaveLength(1);
      expect(await repo.findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Failed,
        attempts: 2,
      });
    });
  });

  describe('open-work queue (S-6, S-13)', () => {
    it('holds open scans only: finished scans leave it, history stays queryable', async () => {
      const fresh = await connectFreshDb();
      const ids: string[] = [];
      for (let i = 0; i < 4; i++)
        ids.push((await fresh[0].create({})).scan.scanId);
      expect((await fresh[0].queued()).sort()).toEqual([...ids].sort());
      const { claimed } = await fresh[0].claimNext('w1', opts);
      if (!claimed) throw new Error('nothing claimed');
      expect(await fresh[0].queued()).toHaveLength(4);
      await fresh[0].complete(claimed.scanId, 1, 'w1');
      expect(await fresh[0].queued()).toHaveLength(3);
      expect(await fresh[0].queued()).not.toContain(claimed.scanId);
      expect(await fresh[1].findById(claimed.scanId)).toMatchObject({
        status: ScanStatus.Complete,
      });
      expect(
        (await fresh[1].list({ status: ScanStatus.Complete, limit: 10 })).items,
      ).toHaveLength(1);
      // S-11: another process sees the finish once the lingering flush wrote it.
      const seen = await eventually(async () => {
        const summary = await fresh[1].summary();
        return summary.Complete === 1 ? summary : undefined;
      }, 2_000);
      expect(seen).toMatchObject({ Accepted: 3, Complete: 1, total: 4 });
    });

    it('S-16: a retry waits in the queue until nextAttemptAt, and records its error and class', async () => {
      const fresh = await connectFreshDb();
      const { scan } = await fresh[0].create({});
      const first = await fresh[0].claimNext('w1', opts);
      expect(first.claimed?.attempt).toBe(1);
      const nextAttemptAt = new Date(Date.now() + 600);
      expect(
        await fresh[0].release(scan.scanId, 1, 'w1', {
          nextAttemptAt,
          error: 'connection reset',
        }),
      ).toBe(true);
      expect(await fresh[1].findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Accepted,
        nextAttemptAt,
        error: 'connection reset',
      });
      // Not due yet: no worker takes it.
      expect((await fresh[1].claimNext('w2', opts)).claimed).toBeNull();
      await sleep(700);
      const second = await fresh[1].claimNext('w2', opts);
      expect(second.claimed).toMatchObject({
        scanId: scan.scanId,
        attempt: 2,
      });
      expect(await fresh[1].findById(scan.scanId)).toMatchObject({
        status: ScanStatus.Running,
        nextAttemptAt: null,
      });
      const history = await fresh[1].history(scan.scanId);
      expect(history[0]).toMatchObject({
        kind: 'claim',
        attempt: 1,
        released: true,
        error: 'connection reset',
        errorClass: 'transient',
        nextAttemptAt,
      });
    });

    it('reclaims an expired lease on the next poll, ahead of any backlog of Accepted scans', async () => {
      const fresh = await connectFreshDb();
      const { scan: orphan } = await fresh[0].create({});
      await fresh[0].claim(orphan.scanId, 'w-dead', { ...opts, leaseMs: 1 });
      for (let i = 0; i < 40; i++) await fresh[0].create({});
      await sleep(10);
      const { claimed } = await fresh[1].claimNext('w-live', opts);
      expect(claimed).toMatchObject({
        scanId: orphan.scanId,
        attempt: 2,
        reclaimed: true,
      });
    });

    it('claims up to the number asked for in one poll, each scan once', async () => {
      const fresh = await connectFreshDb();
      for (let i = 0; i < 10; i++) await fresh[0].create({});
      const [a, b] = await Promise.all([
        fresh[0].claims.claimBatch('wa', { ...opts, max: 4 }),
        fresh[1].claims.claimBatch('wb', { ...opts, max: 4 }),
      ]);
      const ids = [...a.claimed, ...b.claimed].map((scan) => scan.scanId);
      expect(a.claimed.length).toBeLessThanOrEqual(4);
      expect(b.claimed.length).toBeLessThanOrEqual(4);
      expect(ids.length).toBeGreaterThan(0);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it("S-13: claims a poll's fresh scans with one write command per step, and projects each", async () => {
      const fresh = await connectFreshDb();
      const created = [];
      for (let i = 0; i < 4; i++)
        created.push((await fresh[0].create({})).scan);
      const writes: string[] = [];
      fresh[1].connection
        .getClient()
        .on(
          'commandStarted',
          (event: {
            commandName: string;
            command: Record<string, unknown>;
          }) => {
            if (['insert', 'update', 'delete'].includes(event.commandName))
              writes.push(
                `${event.commandName} ${event.command[event.commandName]}`,
              );
          },
        );
      const { claimed } = await fresh[1].claims.claimBatch('w', {
        ...opts,
        max: 4,
      });
      expect(claimed.map((scan) => scan.scanId).sort()).toEqual(
        created.map((scan) => scan.scanId).sort(),
      );
      expect(
        claimed.every((scan) => scan.seq === 1 && scan.attempt === 1),
      ).toBe(true);
      // The log's inserts, then the leases', then the queue's deletes beside the views' updates.
      expect(writes.slice(0, 2)).toEqual([
        'insert scan_attempts',
        'insert scan_leases',
      ]);
      expect(writes.slice(2).sort()).toEqual([
        'delete scan_queue',
        'update scans',
      ]);
      expect(await fresh[0].queued()).toHaveLength(4);
      expect(
        await fresh[0].connection.collection('scan_queue').countDocuments({}),
      ).toBe(0);
      for (const scan of created)
        expect(await fresh[0].findById(scan.scanId)).toMatchObject({
          status: ScanStatus.Running,
          attempts: 1,
          workerId: 'w',
        });
      for (const scan of claimed)
        expect(await fresh[1].complete(scan.scanId, 1, 'w')).toBe(true);
      expect(await fresh[0].queued()).toEqual([]);
    });

    it('decides each claim of a batch on its own: a seq another writer holds fails only its own', async () => {
      const fresh = await connectFreshDb();
      const created = [];
      for (let i = 0; i < 4; i++)
        created.push((await fresh[0].create({})).scan);
      // Another worker won two of them a moment ago and is still moving them.
      const now = Date.now();
      for (const scan of created.slice(0, 2))
        await fresh[0].connection.collection('scan_attempts').insertOne({
          _id: `${scan.scanId}:1` as unknown as never,
          scanId: scan.scanId,
          seq: 1,
          kind: 'claim',
          attempt: 1,
          workerId: 'w-other',
          at: new Date(now),
          leaseUntil: new Date(now + 30_000),
        });
      const { claimed } = await fresh[1].claims.claimBatch('w', {
        ...opts,
        max: 4,
      });
      expect(claimed.map((scan) => scan.scanId).sort()).toEqual(
        created
          .slice(2)
          .map((scan) => scan.scanId)
          .sort(),
      );
      for (const scan of created.slice(0, 2)) {
        expect(await fresh[0].findById(scan.scanId)).toMatchObject({
          status: ScanStatus.Accepted,
        });
        expect(
          await fresh[0].connection
            .collection('scan_attempts')
            .findOne({ _id: `${scan.scanId}:1` as unknown as never }),
        ).toMatchObject({ workerId: 'w-other' });
      }
    });

    it('moves a scan whose claimer stopped after its log insert into the leases, then reclaims it', async () => {
      const fresh = await connectFreshDb();
      const { scan } = await fresh[0].create({});
      const now = Date.now();
      await fresh[0].connection.collection('scan_attempts').insertOne({
        _id: `${scan.scanId}:1` as unknown as never,
        scanId: scan.scanId,
        seq: 1,
        kind: 'claim',
        attempt: 1,
        workerId: 'w-crashed',
        at: new Date(now - MOVE_AFTER_MS),
        leaseUntil: new Date(now + 300),
      });
      expect((await fresh[1].claimNext('w2', opts)).claimed).toBeNull();
      const leases = fresh[0].connection.collection('scan_leases');
      expect(
        await leases.findOne({ _id: scan.scanId as unknown as never }),
      ).toMatchObject({
        attempts: 1,
        workerId: 'w-crashed',
      });
      expect(
        await fresh[0].connection
          .collection('scan_queue')
          .countDocuments({ _id: scan.scanId as unknown as never }),
      ).toBe(0);
      await sleep(400);
      expect((await fresh[1].claimNext('w2', opts)).claimed).toMatchObject({
        scanId: scan.scanId,
        attempt: 2,
        reclaimed: true,
      });
    });

    it('leaves a scan whose claim was just won to its winner: the loser writes nothing', async () => {
      const fresh = await connectFreshDb();
      const { scan } = await fresh[0].create({});
      const now = Date.now();
      await fresh[0].connection.collection('scan_attempts').insertOne({
        _id: `${scan.scanId}:1` as unknown as never,
        scanId: scan.scanId,
        seq: 1,
        kind: 'claim',
        attempt: 1,
        workerId: 'w-winner',
        at: new Date(now),
        leaseUntil: new Date(now + 30_000),
      });
      const writes: string[] = [];
      fresh[1].connection
        .getClient()
        .on('commandStarted', (event: { commandName: string }) => {
          if (['insert', 'update', 'delete'].includes(event.commandName))
            writes.push(event.commandName);
        });
      expect((await fresh[1].claimNext('w2', opts)).claimed).toBeNull();
      // The fast path's insert of seq 1 is the only write: it lost to the winner's.
      expect(writes).toEqual(['insert']);
      const db = fresh[0].connection;
      expect(
        await db
          .collection('scan_queue')
          .countDocuments({ _id: scan.scanId as unknown as never }),
      ).toBe(1);
      expect(
        await db
          .collection('scan_leases')
          .countDocuments({ _id: scan.scanId as unknown as never }),
      ).toBe(0);
    });

    it('S-13: claim and finish send the same database commands with 300 finished scans stored as with none', async () => {
      const fresh = await connectFreshDb();
      const commands: string[] = [];
      // The summary counters are written by their own lingering timer (S-11), off the claim
      // and finish path, so their writes land in either run: they are left out.
      for (const store of fresh)
        store.connection
          .getClient()
          .on(
            'commandStarted',
            (event: {
              commandName: string;
              command: Record<string, unknown>;
            }) => {
              if (event.command[event.commandName] !== 'scan_counters')
                commands.push(event.commandName);
            },
          );
      const oneScan = async (): Promise<string[]> => {
        const { scan } = await fresh[0].create({});
        commands.length = 0;
        const { claimed } = await fresh[1].claimNext('w1', opts);
        expect(claimed?.scanId).toBe(scan.scanId);
        expect(await fresh[1].complete(scan.scanId, 1, 'w1')).toBe(true);
        return [...commands];
      };
      await oneScan();
      const empty = await oneScan();
      const at = new Date();
      const scans = Array.from({ length: 300 }, () => ({
        scanId: randomUUID(),
        status: ScanStatus.Complete,
        target: null,
        attempts: 1,
        createdAt: at,
        updatedAt: at,
      }));
      await fresh[0].connection.collection('scans').insertMany(scans);
      await fresh[0].connection.collection('scan_attempts').insertMany(
        scans.flatMap(({ scanId }) => [
          {
            _id: `${scanId}:1` as unknown as never,
            scanId,
            seq: 1,
            kind: 'claim',
            attempt: 1,
            workerId: 'old',
            at,
            leaseUntil: at,
          },
          {
            _id: `${scanId}:2` as unknown as never,
            scanId,
            seq: 2,
            kind: 'end',
            attempt: 1,
            workerId: 'old',
            at,
            status: ScanStatus.Complete,
          },
        ]),
      );
      expect(await oneScan()).toEqual(empty);
      expect(empty.length).toBeLessThanOrEqual(20);
    });

    it('moves open scans of the old single-collection layout into the queue, idempotently', async () => {
      const fresh = await connectFreshDb();
      const scans = fresh[0].connection.collection('scans');
      const now = new Date();
      const old = (
        status: ScanStatus,
        extra: Record<string, unknown> = {},
      ) => ({
        scanId: randomUUID(),
        status,
        target: null,
        attempts: 0,
        createdAt: now,
        updatedAt: now,
        startedAt: null,
        finishedAt: null,
        error: null,
        workerId: null,
        leaseUntil: null,
        ...extra,
      });
      const accepted = old(ScanStatus.Accepted);
      const running = old(ScanStatus.Running, {
        attempts: 1,
        workerId: 'w-old',
        leaseUntil: new Date(Date.now() - 1_000),
      });
      const complete = old(ScanStatus.Complete, { attempts: 1 });
      await scans.insertMany([accepted, running, complete]);
      await fresh[0].connection.collection('scan_attempts').insertOne({
        _id: `${running.scanId}:1` as unknown as never,
        scanId: running.scanId,
        seq: 1,
        kind: 'claim',
        attempt: 1,
        workerId: 'w-old',
        at: now,
        leaseUntil: running.leaseUntil,
      });
      const [first, second] = [
        await fresh[0].claims.prepare(),
        await fresh[1].claims.prepare(),
      ];
      expect([first, second]).toEqual([2, 0]);
      expect((await fresh[0].queued()).sort()).toEqual(
        [accepted.scanId, running.scanId].sort(),
      );
      const got = new Map<string, number>();
      for (let i = 0; i < 3; i++) {
        const { claimed } = await fresh[0].claimNext('w-new', opts);
        if (claimed) got.set(claimed.scanId, claimed.attempt);
      }
      expect(got).toEqual(
        new Map([
          [accepted.scanId, 1],
          [running.scanId, 2],
        ]),
      );
    });
  });

  it('S-5: every test here claims with majority writes, retryable writes and majority reads, which the database accepts', async () => {
    const client = connections[0].getClient();
    expect(client.writeConcern?.w).toBe('majority');
    expect(client.readConcern?.level).toBe('majority');
    expect(client.options.retryWrites).toBe(true);
    // A member count is accepted too (MONGODB_WRITE_CONCERN=1).
    const counted = await mongoose
      .createConnection(db.uri, {
        ...scansConnectionOptions('scans-it', 2_000, 1),
        dbName,
      })
      .asPromise();
    connections.push(counted);
    const store = new Store(counted);
    const { scan } = await store.create({ target: 'example.com' });
    const claimed = await store.claim(scan.scanId, 'w-count', opts);
    expect(claimed).not.toBeNull();
    expect(await store.findById(scan.scanId)).toMatchObject({
      status: ScanStatus.Running,
      workerId: 'w-count',
    });
  });

  it('fails loudly, as ScanStoreUnavailableError, when the database is unreachable (S-3)', async () => {
    const connection = mongoose.createConnection(
      'mongodb://127.0.0.1:1/',
      scansConnectionOptions('scans-it', 300),
    );
    connection.on('error', () => undefined);
    const dead = new Store(connection);
    await expect(dead.create({})).rejects.toThrow(ScanStoreUnavailableError);
    await expect(dead.findById(randomUUID())).rejects.toThrow(
      ScanStoreUnavailableError,
    );
    await connection.close().catch(() => undefined);
  });

  // Claim-order tests need a queue holding only their own scans.
  async function connectFreshDb(): Promise<Store[]> {
    const name = `scans_it_${randomUUID().slice(0, 8)}`;
    const result: Store[] = [];
    for (let i = 0; i < 3; i++) {
      const connection = await mongoose
        .createConnection(db.uri, {
          ...scansConnectionOptions('scans-it'),
          dbName: name,
        })
        .asPromise();
      connections.push(connection);
      result.push(new Store(connection));
    }
    await result[0].setup.ensureIndexes();
    return result;
  }
});
