import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import {
  ScanResult,
  ScanStatus,
  ScanSummaryResponse,
} from '@gatehouse/shared/contracts';
import type { Model } from 'mongoose';
import { AttemptLog, EndOutcome, endEntry } from './attempt-log';
import { ScanAttempt } from './scan-attempt.schema';
import {
  Candidate,
  HeldAttempts,
  HeldClaim,
  heldKey,
  ScanClaimer,
} from './scan-claimer';
import { OpenScan, ScanProjector } from './scan-projector';
import { ScanLease } from './scan-lease.schema';
import { isFerretDb } from './guarded-update';
import { ScanQueueEntry } from './scan-queue-entry.schema';
import type { ClaimBatch, ClaimOptions, ClaimResult } from './scan-claim.types';
import { ScanCounters } from './scan-counters';
import { ScanEndBatch } from './scan-end-batch';
import { ScanStoreSetup } from './scan-store.setup';
import { ScanWebhook } from './scan-webhook.schema';
import { Scan } from './scan.schema';
import { inStoreOperation } from './store-commands';
import { guardStore } from './store-guard';

const OPEN_FIELDS = {
  _id: 1,
  viewId: 1,
  target: 1,
  kind: 1,
  createdAt: 1,
  nextAttemptAt: 1,
  attempts: 1,
  callbackUrl: 1,
} as const;

// The processor's side: ADR 0002's claim protocol over ADR 0006's open-work collections.
@Injectable()
export class ScanClaimRepository {
  private readonly log: AttemptLog;
  private readonly projector: ScanProjector;
  private readonly claimer: ScanClaimer;
  private readonly held: HeldAttempts = new Map();
  private readonly ends: ScanEndBatch;

  constructor(
    @InjectModel(Scan.name) scans: Model<Scan>,
    @InjectModel(ScanAttempt.name) attempts: Model<ScanAttempt>,
    @InjectModel(ScanQueueEntry.name)
    private readonly queue: Model<ScanQueueEntry>,
    @InjectModel(ScanLease.name) private readonly leases: Model<ScanLease>,
    @InjectModel(ScanWebhook.name) webhooks: Model<ScanWebhook>,
    private readonly setup: ScanStoreSetup,
    private readonly counters: ScanCounters,
  ) {
    this.log = new AttemptLog(attempts);
    this.projector = new ScanProjector(
      scans,
      queue,
      leases,
      this.log,
      webhooks,
    );
    this.ends = new ScanEndBatch(this.log, this.projector);
    this.claimer = new ScanClaimer(
      this.log,
      this.projector,
      this.held,
      counters,
    );
  }

  // Run before the first poll, and retried until it succeeds: builds the indexes and gives every
  // open scan of `scans` its queue entry (idempotent). Returns how many entries it added.
  prepare(): Promise<number> {
    // enqueueOpenScans builds the indexes first.
    return inStoreOperation('prepare', () => this.setup.enqueueOpenScans());
  }

  // S-4..S-6: every poll first runs its own query for expired leases, so recovery never waits
  // behind the backlog, then takes Accepted work oldest first. Both read open work only.
  async claimBatch(
    workerId: string,
    options: ClaimOptions,
  ): Promise<ClaimBatch> {
    return guardStore(() =>
      inStoreOperation('poll', async () => {
        const max = options.max ?? 1;
        const batch = Math.max(options.batchSize ?? 16, max * 4);
        const result: ClaimBatch = { claimed: [], exhausted: [] };
        const expired = await this.leases
          .find({ leaseUntil: { $lt: new Date() } }, OPEN_FIELDS)
          .sort({ leaseUntil: 1 })
          .limit(batch)
          .lean<Candidate[]>();
        await this.claimer.claimFrom(
          expired.map((lease) => ({ ...lease, fromQueue: false })),
          workerId,
          options,
          max,
          result,
        );
        if (result.claimed.length >= max) return result;
        // FerretDB pushes a limit down only with no filter and no sort: it then reads `batch`
        // rows in insertion order, which is oldest first here; any sort would read them all.
        // S-16: only due work. MongoDB filters retries that wait; FerretDB reads in insertion
        // order, where a retry, queued again when it failed, stands behind the work before it.
        const now = new Date();
        const ferret = await isFerretDb(this.queue.db);
        const waiting = this.queue
          .find(
            ferret
              ? {}
              : {
                  $or: [
                    { nextAttemptAt: { $exists: false } },
                    { nextAttemptAt: { $lte: now } },
                  ],
                },
            OPEN_FIELDS,
          )
          .limit(batch);
        if (!ferret) waiting.sort({ createdAt: 1 });
        const accepted = (await waiting.lean<Candidate[]>())
          .filter((entry) => !entry.nextAttemptAt || entry.nextAttemptAt <= now)
          .map((entry) => ({ ...entry, fromQueue: true }));
        // S-11: the counters are written by their own lingering flush, off the claim path.
        await this.claimer.claimFrom(accepted, workerId, options, max, result);
        return result;
      }),
    );
  }

  async claimNext(
    workerId: string,
    options: ClaimOptions,
  ): Promise<ClaimResult> {
    const { claimed, exhausted } = await this.claimBatch(workerId, {
      ...options,
      max: 1,
    });
    return { claimed: claimed[0] ?? null, exhausted };
  }

  // Claims one given scan if it is claimable now; null when it is finished, held or won by another.
  // A poll of that one scan: its open-work entry is read, then tried as a poll's candidates are.
  async claim(
    scanId: string,
    workerId: string,
    options: ClaimOptions,
  ): Promise<ClaimResult> {
    return guardStore(async () => {
      const entry = await inStoreOperation('poll', async () => {
        const lease = await this.leases
          .findOne({ _id: scanId }, OPEN_FIELDS)
          .lean<Candidate>();
        if (lease) return { ...lease, fromQueue: false };
        const waiting = await this.queue
          .findOne({ _id: scanId }, OPEN_FIELDS)
          .lean<Candidate>();
        return waiting && { ...waiting, fromQueue: true };
      });
      const result: ClaimBatch = { claimed: [], exhausted: [] };
      if (entry)
        await this.claimer.claimFrom([entry], workerId, options, 1, result);
      return {
        claimed: result.claimed[0] ?? null,
        exhausted: result.exhausted,
      };
    });
  }

  // Extends the lease of the claim at `seq` (the claimed scan's `seq`), which this worker holds.
  // Null means the attempt is lost: a later entry exists in the log, so the worker must stop
  // and write nothing more. `cancelRequested` (S-17): an operator asked for the scan to stop.
  async renewLease(
    scanId: string,
    seq: number,
    workerId: string,
    leaseMs: number,
  ): Promise<{ leaseUntil: Date; cancelRequested: boolean } | null> {
    return guardStore(() =>
      inStoreOperation('renew', async () => {
        const leaseUntil = new Date(Date.now() + leaseMs);
        if (
          !(await this.log.updateOwnClaim(scanId, seq, workerId, {
            leaseUntil,
          })) ||
          (await this.log.exists(scanId, seq + 1))
        ) {
          this.held.delete(heldKey(scanId, seq, workerId));
          return null;
        }
        const [claim, cancelRequested] = await Promise.all([
          this.log.get(scanId, seq),
          this.log.cancelRequested(scanId, seq),
        ]);
        // The owner re-projects its whole claim: it is the only writer of a live claim's view,
        // so this also mends a view or queue entry that a stale write-back rolled back.
        const scan = await this.openScanOf(scanId, seq, workerId);
        const current =
          claim !== null &&
          scan !== null &&
          (await this.projector.claim({ ...claim, leaseUntil }, scan, false));
        if (current) return { leaseUntil, cancelRequested };
        this.held.delete(heldKey(scanId, seq, workerId));
        return null;
      }),
    );
  }

  complete(
    scanId: string,
    seq: number,
    workerId: string,
    result: ScanResult | null = null,
  ): Promise<boolean> {
    return this.finish(scanId, seq, workerId, {
      status: ScanStatus.Complete,
      result,
    });
  }

  fail(
    scanId: string,
    seq: number,
    workerId: string,
    error: string,
    result: ScanResult | null = null,
    errorClass?: 'transient' | 'permanent',
  ): Promise<boolean> {
    return this.finish(scanId, seq, workerId, {
      status: ScanStatus.Failed,
      error,
      result,
      ...(errorClass ? { errorClass } : {}),
    });
  }

  // S-17: the worker stopped its run because a cancel was asked for; keeps what it found.
  cancelled(
    scanId: string,
    seq: number,
    workerId: string,
    result: ScanResult | null = null,
  ): Promise<boolean> {
    return this.finish(scanId, seq, workerId, {
      status: ScanStatus.Cancelled,
      error: 'cancelled by request while running',
      result,
    });
  }

  // S-11's repair, run by the processor when it falls idle. With `onlyIfNeverRun` (at
  // start-up), only a database whose counters were never counted is recounted, so a start
  // costs no read of the history; null when nothing was done.
  repairSummary({ onlyIfNeverRun = false } = {}): Promise<{
    before: ScanSummaryResponse;
    after: ScanSummaryResponse;
  } | null> {
    return guardStore(() =>
      inStoreOperation('repair', async () => {
        if (onlyIfNeverRun && (await this.counters.hasBase())) return null;
        await this.setup.ensureIndexes();
        return this.counters.repair();
      }),
    );
  }

  // S-8: gives an unfinished attempt back, so that another worker claims the scan at once.
  // S-16: with `retry`, a transient failure: the scan waits in the queue until
  // `retry.nextAttemptAt`, and the claim records the error and its class.
  async release(
    scanId: string,
    seq: number,
    workerId: string,
    retry?: { nextAttemptAt: Date; error: string },
  ): Promise<boolean> {
    return guardStore(() =>
      inStoreOperation(retry ? 'retry' : 'release', async () => {
        if (
          !(await this.log.updateOwnClaim(scanId, seq, workerId, {
            leaseUntil: new Date(),
            released: true,
            ...(retry
              ? {
                  error: retry.error,
                  errorClass: 'transient' as const,
                  nextAttemptAt: retry.nextAttemptAt,
                }
              : {}),
          })) ||
          (await this.log.exists(scanId, seq + 1))
        )
          return false;
        const scan = await this.heldClaimOf(scanId, seq, workerId);
        const released =
          scan !== null &&
          (await this.projector.release(
            seq,
            scan.attempt,
            workerId,
            scan,
            retry,
          ));
        this.held.delete(heldKey(scanId, seq, workerId));
        if (released) {
          this.counters.change(ScanStatus.Running, ScanStatus.Accepted);
          await this.counters.flush();
        }
        return released;
      }),
    );
  }

  // Appends the end of the claim at `seq` at seq + 1. Exactly one of this and a reclaim of the
  // next attempt can win that seq, so a late write from a lost attempt is ignored (S-6).
  private finish(
    scanId: string,
    seq: number,
    workerId: string,
    outcome: EndOutcome,
  ): Promise<boolean> {
    return guardStore(() =>
      inStoreOperation('finish', async () => {
        const scan = await this.heldClaimOf(scanId, seq, workerId);
        if (!scan) return false;
        const end = endEntry(
          scanId,
          seq,
          scan.attempt,
          workerId,
          outcome,
          new Date(),
        );
        // A retry whose first try did land (its reply was lost) finds its own entry: a win.
        if (!(await this.ends.record(end, scan))) return false;
        this.held.delete(heldKey(scanId, seq, workerId));
        this.counters.change(ScanStatus.Running, outcome.status);
        return true;
      }),
    );
  }

  // The claim at `seq` as this worker holds it, with its scan: from memory when this process
  // claimed it, else checked against the log (the claim must be this worker's).
  private async heldClaimOf(
    scanId: string,
    seq: number,
    workerId: string,
  ): Promise<HeldClaim | null> {
    const held = this.held.get(heldKey(scanId, seq, workerId));
    if (held) return held;
    const claim = await this.log.get(scanId, seq);
    if (!claim || claim.kind !== 'claim' || claim.workerId !== workerId)
      return null;
    const scan = await this.projector.openScanOf(scanId);
    return scan && { ...scan, attempt: claim.attempt };
  }

  private async openScanOf(
    scanId: string,
    seq: number,
    workerId: string,
  ): Promise<OpenScan | null> {
    return (
      this.held.get(heldKey(scanId, seq, workerId)) ??
      (await this.projector.openScanOf(scanId))
    );
  }
}
