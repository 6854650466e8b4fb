import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { ScanStatus } from '@gatehouse/shared/contracts';
import type { Model, Types } from 'mongoose';
import { AttemptLog, attemptKey, cancelKey, endEntry } from './attempt-log';
import { insertIfAbsent, updateGuarded } from './guarded-update';
import { ScanAttempt } from './scan-attempt.schema';
import { ScanCounters } from './scan-counters';
import { ScanLease } from './scan-lease.schema';
import { EndingScan, ScanProjector } from './scan-projector';
import { ScanQueueEntry } from './scan-queue-entry.schema';
import { SCAN_FIELDS, ScanRecord, ScanRow, toScanRecord } from './scan-record';
import { ScanStoreSetup } from './scan-store.setup';
import { ScanWebhook } from './scan-webhook.schema';
import { Scan } from './scan.schema';
import { inStoreOperation } from './store-commands';
import { guardStore } from './store-guard';

// Who wrote an entry that no worker wrote.
export const OPERATOR = 'operator';

// cancelled: the scan is Cancelled (now, or before: cancelling twice is idempotent).
// requested: it is running; the worker that holds it stops it within one lease renewal.
// queued: a retry queued it again. refused: its state does not allow it (409).
export type ScanControlOutcome = {
  outcome: 'cancelled' | 'requested' | 'queued' | 'refused';
  scan: ScanRecord;
} | null;

type ViewRow = ScanRow & { _id: Types.ObjectId };

// Each decision is an append to the attempt log, so it races fairly with the workers: whoever
// inserts the next seq first decides what happens next (ADR 0002).
const CONTENDED_TRIES = 5;

// S-17: the operator's controls, cancel and retry, as entries in the attempt log.
@Injectable()
export class ScanControlRepository {
  private readonly log: AttemptLog;
  private readonly projector: ScanProjector;

  constructor(
    @InjectModel(Scan.name) private readonly scans: Model<Scan>,
    @InjectModel(ScanAttempt.name)
    private readonly entries: Model<ScanAttempt>,
    @InjectModel(ScanQueueEntry.name)
    private readonly queue: Model<ScanQueueEntry>,
    @InjectModel(ScanLease.name) leases: Model<ScanLease>,
    @InjectModel(ScanWebhook.name) webhooks: Model<ScanWebhook>,
    private readonly setup: ScanStoreSetup,
    private readonly counters: ScanCounters,
  ) {
    this.log = new AttemptLog(entries);
    this.projector = new ScanProjector(
      scans,
      queue,
      leases,
      this.log,
      webhooks,
    );
  }

  // A waiting scan (new, or waiting for a retry) ends Cancelled at once, as does one whose
  // worker stopped renewing its lease. A running one gets a cancel entry, which its worker
  // reads at its next renewal: it aborts the job and writes Cancelled with what it found.
  cancel(scanId: string): Promise<ScanControlOutcome> {
    return this.control('cancel', scanId, async (view) => {
      const last = await this.log.latest(scanId, view.attempts ?? 0);
      if (last?.kind === 'end') {
        await this.projector.end(last, endingScan(view));
        return last.status === ScanStatus.Cancelled ? 'cancelled' : 'refused';
      }
      const now = new Date();
      const live =
        last?.kind === 'claim' &&
        !last.released &&
        last.leaseUntil !== undefined &&
        new Date(last.leaseUntil).getTime() > now.getTime();
      if (!live) {
        const end = endEntry(
          scanId,
          last?.seq ?? 0,
          last?.attempt ?? 0,
          OPERATOR,
          { status: ScanStatus.Cancelled, error: 'cancelled by request' },
          now,
        );
        if (!(await this.log.append(end))) return null;
        await this.projector.end(end, endingScan(view));
        this.counters.change(
          last?.kind === 'claim' && !last.released
            ? ScanStatus.Running
            : ScanStatus.Accepted,
          ScanStatus.Cancelled,
        );
        await this.counters.flush();
        return 'cancelled';
      }
      const claim = last as ScanAttempt;
      await insertIfAbsent(this.entries, {
        _id: cancelKey(scanId, claim.seq),
        scanId,
        seq: claim.seq,
        kind: 'cancel',
        attempt: claim.attempt,
        workerId: OPERATOR,
        at: now,
      });
      await this.scans.updateOne(
        { _id: view._id, cancelRequestedAt: null },
        { $set: { cancelRequestedAt: now } },
      );
      // The claim may have ended, or been given back, while the request was written: then the
      // request names an attempt nobody runs, so decide again.
      const after = await this.log.latest(scanId, claim.seq);
      return after?.seq === claim.seq && !after.released ? 'requested' : null;
    });
  }

  // A Failed or Cancelled scan is queued again: a retry entry after its end, then the view and
  // the queue entry. Its next attempt is numbered on from the last, with MAX_ATTEMPTS of its own.
  retry(scanId: string): Promise<ScanControlOutcome> {
    return this.control('retry', scanId, async (view) => {
      const last = await this.log.latest(scanId, view.attempts ?? 0);
      if (last?.kind === 'retry') {
        // Queued again already. A view still showing the end (a retry that stopped half-way,
        // or an end re-applied over it) is mended, and that counts as this retry.
        return (await this.reopen(view, last)) ? 'queued' : 'refused';
      }
      if (
        last?.kind !== 'end' ||
        (last.status !== ScanStatus.Failed &&
          last.status !== ScanStatus.Cancelled)
      ) {
        if (last?.kind === 'end')
          await this.projector.end(last, endingScan(view));
        return 'refused';
      }
      const retry: ScanAttempt = {
        _id: attemptKey(scanId, last.seq + 1),
        scanId,
        seq: last.seq + 1,
        kind: 'retry',
        attempt: last.attempt,
        workerId: OPERATOR,
        at: new Date(),
      };
      if (!(await this.log.append(retry))) return null;
      if (await this.reopen(view, retry)) {
        this.counters.change(last.status, ScanStatus.Accepted);
        await this.counters.flush();
      }
      return 'queued';
    });
  }

  // The view back to Accepted (only from a final state), then the queue entry: a crash between
  // the two leaves an Accepted scan that the processor's start-up enqueues (ScanStoreSetup).
  private async reopen(view: ViewRow, retry: ScanAttempt): Promise<boolean> {
    const reopened = await updateGuarded(
      this.scans,
      view._id,
      { statuses: [ScanStatus.Failed, ScanStatus.Cancelled] },
      {
        $set: {
          status: ScanStatus.Accepted,
          attempts: retry.attempt,
          startedAt: null,
          finishedAt: null,
          error: null,
          workerId: null,
          leaseUntil: null,
          nextAttemptAt: null,
          cancelRequestedAt: null,
          result: null,
        },
      },
    );
    await insertIfAbsent(this.queue, {
      _id: view.scanId,
      viewId: view._id,
      target: view.target ?? null,
      kind: view.kind ?? 'simulated',
      createdAt: view.createdAt ?? new Date(),
      ...(view.callbackUrl ? { callbackUrl: view.callbackUrl } : {}),
      attempts: retry.attempt,
    });
    return reopened;
  }

  // Reads the scan, decides (null: another writer won the seq, so read and decide again), and
  // answers with the scan as it is after the decision.
  private control(
    operation: 'cancel' | 'retry',
    scanId: string,
    decide: (
      view: ViewRow,
    ) => Promise<NonNullable<ScanControlOutcome>['outcome'] | null>,
  ): Promise<ScanControlOutcome> {
    return guardStore(() =>
      inStoreOperation(operation, async () => {
        await this.setup.ensureIndexes();
        let outcome: NonNullable<ScanControlOutcome>['outcome'] = 'refused';
        for (let i = 0; i < CONTENDED_TRIES; i++) {
          const view = await this.view(scanId);
          if (!view) return null;
          const decided = await decide(view);
          if (decided) {
            outcome = decided;
            break;
          }
          // Contended on every try: a running scan's request stands; otherwise answer as is.
          outcome = operation === 'cancel' ? 'requested' : 'refused';
        }
        const scan = await this.view(scanId);
        return scan && { outcome, scan: toScanRecord(scan) };
      }),
    );
  }

  private view(scanId: string): Promise<ViewRow | null> {
    return this.scans
      .findOne({ scanId }, { ...SCAN_FIELDS, _id: 1 })
      .lean<ViewRow>()
      .exec();
  }
}

function endingScan(view: ViewRow): EndingScan {
  return { viewId: view._id, callbackUrl: view.callbackUrl ?? null };
}
