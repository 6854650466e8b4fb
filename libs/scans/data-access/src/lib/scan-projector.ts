import { ScanKind, ScanStatus } from '@gatehouse/shared/contracts';
import type { Model, Types } from 'mongoose';
import type { AttemptLog } from './attempt-log';
import {
  deleteGuarded,
  insertEachIfAbsent,
  insertIfAbsent,
  updateEachGuarded,
  updateGuarded,
} from './guarded-update';
import { ScanAttempt } from './scan-attempt.schema';
import { ScanLease } from './scan-lease.schema';
import { ScanQueueEntry } from './scan-queue-entry.schema';
import { Scan } from './scan.schema';
import { ScanWebhook, webhookKey } from './scan-webhook.schema';

const OPEN = [ScanStatus.Accepted, ScanStatus.Running];

// What the open-work collections need to know about a scan besides its attempt.
export interface OpenScan {
  _id: string;
  viewId: Types.ObjectId;
  target: string | null;
  kind?: ScanKind;
  createdAt: Date;
  // S-19: where the scan is posted when it ends.
  callbackUrl?: string | null;
}

// What an end needs of its scan: the view it overwrites, and where the scan is posted (S-19).
export type EndingScan = Pick<OpenScan, 'viewId' | 'callbackUrl'>;

// The lease entry of a scan whose attempt `claim` started.
function leaseEntry(scan: OpenScan, claim: ScanAttempt): Partial<ScanLease> {
  return {
    _id: scan._id,
    viewId: scan.viewId,
    target: scan.target,
    kind: scan.kind,
    createdAt: scan.createdAt,
    ...(scan.callbackUrl ? { callbackUrl: scan.callbackUrl } : {}),
    attempts: claim.attempt,
    workerId: claim.workerId,
    leaseUntil: claim.leaseUntil,
  };
}

// What a claim sets on its lease entry, and on its view.
function runningOf(claim: ScanAttempt) {
  return {
    attempts: claim.attempt,
    workerId: claim.workerId,
    leaseUntil: claim.leaseUntil,
  };
}

function viewOfClaim(claim: ScanAttempt) {
  return {
    ...runningOf(claim),
    status: ScanStatus.Running,
    startedAt: claim.at,
    nextAttemptAt: null,
  };
}

// What an end sets on its view: final, so it overwrites.
function viewOfEnd(end: ScanAttempt) {
  return {
    status: end.status,
    attempts: end.attempt,
    workerId: end.workerId,
    leaseUntil: null,
    finishedAt: end.at,
    error: end.error ?? null,
    result: end.result ?? null,
  };
}

// S-19: the delivery an end with a callbackUrl gets, due at once.
function deliveryOf(
  end: ScanAttempt,
  viewId: Types.ObjectId,
  url: string,
): Partial<ScanWebhook> {
  return {
    _id: webhookKey(end.scanId, end.seq),
    scanId: end.scanId,
    endSeq: end.seq,
    viewId,
    url,
    attempts: 0,
    nextAttemptAt: end.at,
    createdAt: end.at,
  };
}

// Projects attempt-log entries onto the `scans` view and the open-work collections, `scan_queue`
// (waiting) and `scan_leases` (running) (ADR 0002, ADR 0006). Every write addresses one
// document by _id: an index lookup on MongoDB (FerretDB 1.24 scans its table, ADR 0006).
export class ScanProjector {
  constructor(
    private readonly scans: Model<Scan>,
    private readonly queue: Model<ScanQueueEntry>,
    private readonly leases: Model<ScanLease>,
    private readonly log: AttemptLog,
    private readonly webhooks?: Model<ScanWebhook>,
  ) {}

  // Where an open scan is: its lease, else its queue entry, else (rare: an end re-applied after
  // the scan left open work) its view, found by scanId.
  async openScanOf(scanId: string): Promise<OpenScan | null> {
    const fields = {
      viewId: 1,
      target: 1,
      kind: 1,
      createdAt: 1,
      callbackUrl: 1,
    };
    const open =
      (await this.leases.findOne({ _id: scanId }, fields).lean<OpenScan>()) ??
      (await this.queue.findOne({ _id: scanId }, fields).lean<OpenScan>());
    if (open) return open;
    const view = await this.scans
      .findOne(
        { scanId },
        { _id: 1, target: 1, kind: 1, createdAt: 1, callbackUrl: 1 },
      )
      .lean<{
        _id: Types.ObjectId;
        target: string | null;
        kind?: ScanKind;
        createdAt: Date;
        callbackUrl?: string | null;
      }>();
    return view
      ? {
          _id: scanId,
          viewId: view._id,
          target: view.target,
          kind: view.kind,
          createdAt: view.createdAt,
          callbackUrl: view.callbackUrl ?? null,
        }
      : null;
  }

  // Attempt n is Running: its lease entry is created (fromQueue) or moved on, the scan leaves
  // the waiting queue, and the view shows it. Never rolls back a newer attempt, nor reopens an
  // ended scan. False when the attempt turned out to be superseded (see settle).
  async claim(
    claim: ScanAttempt,
    scan: OpenScan,
    fromQueue: boolean,
  ): Promise<boolean> {
    const [current] = await this.claimEach([{ claim, scan }], fromQueue);
    return current;
  }

  // `claim` for many attempts at once, each step one command for all of them: the leases, then
  // the queue beside the views. Only a lease that must be moved on (FerretDB reads its guard)
  // and the checks after the writes are one command each (by _id, ADR 0006).
  async claimEach(
    claims: { claim: ScanAttempt; scan: OpenScan }[],
    fromQueue: boolean,
  ): Promise<boolean[]> {
    const moveOn = ({ claim, scan }: { claim: ScanAttempt; scan: OpenScan }) =>
      updateGuarded(
        this.leases,
        scan._id,
        { maxAttempt: claim.attempt },
        { $set: runningOf(claim) },
      );
    const create = (each: { claim: ScanAttempt; scan: OpenScan }[]) =>
      insertEachIfAbsent(
        this.leases,
        each.map(({ claim, scan }) => leaseEntry(scan, claim)),
      );
    // From the queue, a lease is usually new: one already there (a poll moved a stalled
    // winner's scan) is moved on. A reclaim or a renewal moves its lease on, and creates it
    // only when it is missing (a crash between two writes).
    if (fromQueue) {
      const created = await create(claims);
      await Promise.all(claims.map((each, i) => !created[i] && moveOn(each)));
    } else {
      const moved = await Promise.all(claims.map(moveOn));
      await create(claims.filter((_, i) => !moved[i]));
    }
    await Promise.all([
      fromQueue &&
        this.queue.collection.bulkWrite(
          claims.map(({ scan }) => ({
            deleteOne: { filter: { _id: scan._id as never } },
          })),
          { ordered: false },
        ),
      updateEachGuarded(
        this.scans,
        claims.map(({ claim, scan }) => ({
          id: scan.viewId,
          guard: { statuses: OPEN, maxAttempt: claim.attempt },
          update: { $set: viewOfClaim(claim) },
          // The first entry of a scan's log: the guard fails only when a later entry exists
          // (an end, a retry, a newer claim), and settle below finds that entry and re-applies it.
          checkedAfter: fromQueue && claim.seq === 1,
        })),
      ),
    ]);
    return Promise.all(
      claims.map(({ claim, scan }) =>
        this.settle(claim.scanId, claim.seq, scan),
      ),
    );
  }

  // A claim whose winner stopped before it moved the scan out of the waiting queue: move it, so
  // that the reclaim query sees its lease. The view is left to the winner (ADR 0002).
  async move(claim: ScanAttempt, scan: OpenScan): Promise<void> {
    await insertIfAbsent(this.leases, leaseEntry(scan, claim));
    await this.queue.deleteOne({ _id: scan._id });
    await this.settle(claim.scanId, claim.seq, scan);
  }

  // S-8: back to the waiting queue, then out of the leases.
  // S-16: with `retry`, the scan waits until `nextAttemptAt`, showing the error that ended the
  // attempt.
  async release(
    seq: number,
    attempt: number,
    workerId: string,
    scan: OpenScan,
    retry?: { nextAttemptAt: Date; error: string },
  ): Promise<boolean> {
    await insertIfAbsent(this.queue, {
      _id: scan._id,
      viewId: scan.viewId,
      target: scan.target,
      kind: scan.kind,
      createdAt: scan.createdAt,
      ...(scan.callbackUrl ? { callbackUrl: scan.callbackUrl } : {}),
      attempts: attempt,
      ...(retry ? { nextAttemptAt: retry.nextAttemptAt } : {}),
    });
    const guard = { attempt, workerId };
    await Promise.all([
      deleteGuarded(this.leases, scan._id, guard),
      updateGuarded(
        this.scans,
        scan.viewId,
        { ...guard, statuses: [ScanStatus.Running] },
        {
          $set: {
            status: ScanStatus.Accepted,
            workerId: null,
            leaseUntil: null,
            ...(retry ?? {}),
          },
        },
      ),
    ]);
    return this.settle(scan._id, seq, scan);
  }

  // An end is final, so it overwrites the view. On FerretDB a concurrent stale write-back can
  // undo it: every other writer of the view checks the log after its write and re-applies the
  // end it finds there (settle; a cancel request decides again), so the end is not read back.
  // The scan leaves open work last, so a crash at any step leaves it where a poll repairs it.
  // S-19: a scan with a callbackUrl gets its delivery, due at once, before it leaves open work,
  // so a crash after the end leaves it where the poll that repairs the end adds it.
  async end(end: ScanAttempt, scan: EndingScan): Promise<void> {
    await this.endEach([{ end, scan }]);
  }

  // `end` for many ends at once, each step one command for all of them: the views, the
  // deliveries, then open work. `leaseOnly`: ends of live claims, whose scans are not in the
  // waiting queue (a stray entry left by a crashed release is removed by the poll that meets it).
  async endEach(
    ends: { end: ScanAttempt; scan: EndingScan }[],
    { leaseOnly = false } = {},
  ): Promise<void> {
    const views = ends.filter(({ scan }) => scan.viewId);
    if (views.length > 0)
      await this.scans.bulkWrite(
        views.map(({ end, scan }) => ({
          updateOne: {
            filter: { _id: scan.viewId },
            update: { $set: viewOfEnd(end) },
          },
        })),
        { ordered: false },
      );
    const webhooks = this.webhooks;
    const posted = ends.filter(({ scan }) => scan.callbackUrl);
    if (webhooks && posted.length > 0)
      await insertEachIfAbsent(
        webhooks,
        posted.map(({ end, scan }) =>
          deliveryOf(end, scan.viewId, scan.callbackUrl as string),
        ),
      );
    const deletes = () =>
      ends.map(({ end }) => ({
        deleteOne: { filter: { _id: end.scanId as never } },
      }));
    await Promise.all([
      this.leases.collection.bulkWrite(deletes(), { ordered: false }),
      !leaseOnly &&
        this.queue.collection.bulkWrite(deletes(), { ordered: false }),
    ]);
  }

  // Write, then check. A projection of the claim at seq n that was delayed (a stalled worker; on FerretDB
  // the guard is not atomic with the write) may land over the end that followed it. Whoever ends
  // a scan appends the end before projecting it, so either the end's projection comes after this
  // write, or this check sees the end and applies it again. False when attempt n is superseded.
  private async settle(
    scanId: string,
    seq: number,
    scan: OpenScan,
  ): Promise<boolean> {
    if (!(await this.log.exists(scanId, seq + 1))) return true;
    const last = await this.log.latest(scanId, seq + 1);
    if (last?.kind === 'end') await this.end(last, scan);
    return false;
  }
}
