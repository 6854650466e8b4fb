import { ScanStatus } from '@gatehouse/shared/contracts';
import type { Model, Types } from 'mongoose';
import type { AttemptLog } from './attempt-log';
import { updateGuarded } from './guarded-update';
import { ScanAttempt } from './scan-attempt.schema';
import { ScanQueueEntry } from './scan-queue-entry.schema';
import { Scan } from './scan.schema';

const OPEN = [ScanStatus.Accepted, ScanStatus.Running];

// Projects attempt-log entries onto the `scans` view and the open-work queue (ADR 0002, 0004).
// Every write addresses one document by _id, so none costs more as history grows.
export class ScanProjector {
  constructor(
    private readonly scans: Model<Scan>,
    private readonly queue: Model<ScanQueueEntry>,
    private readonly log: AttemptLog,
  ) {}

  // The view's _id: from the queue entry while the scan is open; a finished scan's view is found
  // by scanId, which only an end re-applied after the scan left the queue needs.
  async viewIdOf(scanId: string): Promise<Types.ObjectId | null> {
    const entry = await this.queue
      .findOne({ _id: scanId }, { viewId: 1 })
      .lean<Pick<ScanQueueEntry, 'viewId'>>();
    if (entry) return entry.viewId;
    const view = await this.scans
      .findOne({ scanId }, { _id: 1 })
      .lean<{ _id: Types.ObjectId }>();
    return view?._id ?? null;
  }

  // Never rolls back a newer attempt, nor reopens an ended scan. False when the attempt turned
  // out to be superseded (see settle).
  async claim(
    claim: ScanAttempt,
    viewId: Types.ObjectId | null,
  ): Promise<boolean> {
    const guard = { statuses: OPEN, maxAttempt: claim.attempt };
    const running = {
      status: ScanStatus.Running,
      attempts: claim.attempt,
      workerId: claim.workerId,
      leaseUntil: claim.leaseUntil ?? null,
    };
    await Promise.all([
      updateGuarded(this.queue, claim.scanId, guard, { $set: running }),
      viewId &&
        updateGuarded(this.scans, viewId, guard, {
          $set: { ...running, startedAt: claim.at },
        }),
    ]);
    return this.settle(claim.scanId, claim.attempt, viewId);
  }

  async release(
    scanId: string,
    attempt: number,
    workerId: string,
    viewId: Types.ObjectId | null,
  ): Promise<boolean> {
    const guard = { statuses: [ScanStatus.Running], attempt, workerId };
    const accepted = {
      status: ScanStatus.Accepted,
      workerId: null,
      leaseUntil: null,
    };
    await Promise.all([
      updateGuarded(this.queue, scanId, guard, { $set: accepted }),
      viewId && updateGuarded(this.scans, viewId, guard, { $set: accepted }),
    ]);
    return this.settle(scanId, attempt, viewId);
  }

  // Write, then check. A projection of attempt n that was delayed (a stalled worker; on FerretDB
  // the guard is not atomic with the write) may land over the end that followed it. Whoever ends
  // a scan appends the end before projecting it, so either the end's projection comes after this
  // write, or this check sees the end and applies it again. False when attempt n is superseded.
  private async settle(
    scanId: string,
    attempt: number,
    viewId: Types.ObjectId | null,
  ): Promise<boolean> {
    if (!(await this.log.exists(scanId, attempt + 1))) return true;
    const last = await this.log.latest(scanId, attempt + 1);
    if (last?.kind === 'end') await this.end(last, viewId);
    return false;
  }

  // An end is final, so it overwrites the view. On FerretDB a concurrent stale write-back can
  // still undo it, so it is read back and re-applied (up to 3 times) before the scan leaves
  // the queue: leaving last means a crash at any step leaves the scan where a poll repairs it.
  async end(end: ScanAttempt, viewId: Types.ObjectId | null): Promise<void> {
    if (viewId) {
      const update = {
        $set: {
          status: end.status,
          attempts: end.attempt,
          workerId: end.workerId,
          leaseUntil: null,
          finishedAt: end.at,
          error: end.error ?? null,
        },
      };
      for (let i = 0; i < 3; i++) {
        await this.scans.updateOne({ _id: viewId }, update);
        const now = await this.scans
          .findOne({ _id: viewId }, { status: 1, attempts: 1 })
          .lean();
        if (!now || (now.status === end.status && now.attempts === end.attempt))
          break;
      }
    }
    await this.queue.deleteOne({ _id: end.scanId });
  }
}
