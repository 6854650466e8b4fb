import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import {
  SCAN_STATUSES,
  ScanStatus,
  ScanSummaryResponse,
} from '@gatehouse/shared/contracts';
import type { Model } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ScanCounter } from './scan-counter.schema';
import { Scan } from './scan.schema';
import { inStoreOperation } from './store-commands';

type Counts = Record<ScanStatus, number>;

const BASE = 'base';
const RETRY_MS = 1_000;
// Changes made within this long of each other share one write: under load a transition costs a
// fraction of a command instead of one each, and the summary lags the scans by about this.
export const COUNTERS_LINGER_MS = 100;

function zero(): Counts {
  return Object.fromEntries(SCAN_STATUSES.map((s) => [s, 0])) as Counts;
}

export function summaryOf(counts: Counts): ScanSummaryResponse {
  const summary = { total: 0 } as ScanSummaryResponse;
  for (const status of SCAN_STATUSES) {
    // A transition whose two halves were counted by different processes may show for a moment
    // as -1 here and +1 there; a count is never shown below zero.
    summary[status] = Math.max(0, counts[status]);
    summary.total += summary[status];
  }
  return summary;
}

// S-11: keeps this process's share of the per-status counters. Each state change adds to an
// in-memory tally that one flush at a time writes to this process's own document with $inc,
// COUNTERS_LINGER_MS after the first unwritten change, so changes made close together cost one
// write. A crash can lose the changes of the last unflushed moment: the repair (recount) sets
// the counters right again (docs/scans.md).
@Injectable()
export class ScanCounters implements OnApplicationShutdown {
  private readonly writer = `w:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private pending = zero();
  private dirty = false;
  private flushing: Promise<void> | null = null;
  private retry: NodeJS.Timeout | undefined;
  private lingering: NodeJS.Timeout | undefined;

  constructor(
    @InjectModel(ScanCounter.name)
    private readonly counters: Model<ScanCounter>,
    @InjectModel(Scan.name) private readonly scans: Model<Scan>,
  ) {}

  // One state change: `from` loses one, `to` gains one (either may be absent).
  change(from: ScanStatus | null, to: ScanStatus | null): void {
    if (from === to) return;
    if (from) this.pending[from]--;
    if (to) this.pending[to]++;
    this.dirty = true;
    if (!this.flushing && !this.retry) this.linger();
  }

  private linger(): void {
    if (this.lingering) return;
    this.lingering = setTimeout(() => void this.flush(), COUNTERS_LINGER_MS);
    this.lingering.unref();
  }

  // Writes what is pending now; resolves when everything changed before the call is written
  // (or the write failed, in which case it is kept and retried).
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    clearTimeout(this.lingering);
    this.lingering = undefined;
    if (!this.dirty) return Promise.resolve();
    const delta = this.pending;
    this.pending = zero();
    this.dirty = false;
    this.flushing = inStoreOperation('counters', async () => {
      try {
        await this.counters.updateOne(
          { _id: this.writer },
          { $inc: delta, $set: { updatedAt: new Date() } },
          { upsert: true },
        );
      } catch {
        for (const status of SCAN_STATUSES)
          this.pending[status] += delta[status];
        this.dirty = true;
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          void this.flush();
        }, RETRY_MS);
        this.retry.unref();
      }
    }).finally(() => {
      this.flushing = null;
      if (this.dirty && !this.retry) this.linger();
    });
    return this.flushing;
  }

  // The summary: the last recount plus every process's changes since; a few documents.
  async read(): Promise<ScanSummaryResponse> {
    await this.flush();
    const counts = zero();
    const docs = await this.counters.find({}).lean<ScanCounter[]>();
    for (const doc of docs)
      for (const status of SCAN_STATUSES) counts[status] += doc[status] ?? 0;
    return summaryOf(counts);
  }

  // Whether a recount was ever stored: a database from before the counters has none yet.
  async hasBase(): Promise<boolean> {
    return (await this.counters.exists({ _id: BASE })) !== null;
  }

  // The repair: `recount` reads the true counts from the scans themselves (every scan once).
  // The recount becomes the base, and the process documents it covers are removed. Exact
  // when nothing changes state while it runs; otherwise off by what changed meanwhile, until
  // the next repair.
  async repair(): Promise<{
    before: ScanSummaryResponse;
    after: ScanSummaryResponse;
  }> {
    await this.flush();
    const writers = await this.counters
      .find({}, { _id: 1 })
      .lean<{ _id: string }[]>();
    const before = await this.read();
    const counts = await this.recount();
    await this.counters.updateOne(
      { _id: BASE },
      { $set: { ...counts, updatedAt: new Date() } },
      { upsert: true },
    );
    const covered = writers.map((doc) => doc._id).filter((id) => id !== BASE);
    if (covered.length > 0)
      await this.counters.deleteMany({ _id: { $in: covered } });
    return { before, after: summaryOf(counts) };
  }

  // The true counts, from the scans themselves, for the repair only: one count per status over
  // the {status, createdAt, scanId} index (MongoDB answers from index keys alone; the FerretDB
  // test DB reads every scan). The caller has built the indexes.
  async recount(): Promise<Counts> {
    const counts = await Promise.all(
      SCAN_STATUSES.map((status) =>
        this.scans
          .countDocuments({ status })
          .hint({ status: 1, createdAt: -1, scanId: -1 }),
      ),
    );
    return Object.fromEntries(
      SCAN_STATUSES.map((status, i) => [status, counts[i]]),
    ) as Counts;
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.retry);
    this.retry = undefined;
    await this.flush().catch(() => undefined);
  }
}
