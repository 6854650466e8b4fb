import { ScanResult, ScanStatus } from '@gatehouse/shared/contracts';
import type { Model } from 'mongoose';
import {
  insertEachIfAbsent,
  insertIfAbsent,
  updateGuarded,
} from './guarded-update';
import { ScanAttempt } from './scan-attempt.schema';
import { deliveryKey } from './scan-webhook.schema';

export function attemptKey(scanId: string, seq: number): string {
  return `${scanId}:${seq}`;
}

// S-17: the entry that asks the worker holding the claim at `seq` to stop.
export function cancelKey(scanId: string, seq: number): string {
  return `${attemptKey(scanId, seq)}:cancel`;
}

export type EndOutcome =
  | { status: ScanStatus.Complete; result?: ScanResult | null }
  | {
      status: ScanStatus.Cancelled;
      error: string;
      result?: ScanResult | null;
    }
  | {
      status: ScanStatus.Failed;
      error: string;
      errorClass?: 'transient' | 'permanent';
      result?: ScanResult | null;
    };

// The end that follows the entry at `afterSeq` (ADR 0002): written by the worker that ran
// `attempt`, by the poll that found its last lease expired with no attempts left, or by a
// cancel (S-17).
export function endEntry(
  scanId: string,
  afterSeq: number,
  attempt: number,
  workerId: string,
  outcome: EndOutcome,
  at: Date,
): ScanAttempt {
  return {
    _id: attemptKey(scanId, afterSeq + 1),
    scanId,
    seq: afterSeq + 1,
    kind: 'end',
    attempt,
    workerId,
    at,
    status: outcome.status,
    ...(outcome.status !== ScanStatus.Complete ? { error: outcome.error } : {}),
    ...(outcome.status === ScanStatus.Failed && outcome.errorClass
      ? { errorClass: outcome.errorClass }
      : {}),
    ...(outcome.result ? { result: outcome.result } : {}),
  };
}

// The append-only log of ADR 0002. Every read here is by _id, the one filter FerretDB 1.x
// pushes down to SQLite, so no step of the claim protocol reads more as the log grows.
export class AttemptLog {
  constructor(private readonly entries: Model<ScanAttempt>) {}

  // The protocol's only decision point: true for exactly one writer of a given seq.
  append(entry: ScanAttempt): Promise<boolean> {
    return insertIfAbsent(this.entries, entry);
  }

  // `append` for many entries in one command, each decided on its own.
  appendEach(entries: ScanAttempt[]): Promise<boolean[]> {
    return insertEachIfAbsent(this.entries, entries);
  }

  get(scanId: string, seq: number): Promise<ScanAttempt | null> {
    return this.entries
      .findOne({ _id: attemptKey(scanId, seq) })
      .lean<ScanAttempt>()
      .exec();
  }

  // S-17: the cancel asked of the claim at `seq`, if any.
  cancelOf(scanId: string, seq: number): Promise<ScanAttempt | null> {
    return this.entries
      .findOne({ _id: cancelKey(scanId, seq) })
      .lean<ScanAttempt>()
      .exec();
  }

  async cancelRequested(scanId: string, seq: number): Promise<boolean> {
    return (
      (await this.entries.exists({ _id: cancelKey(scanId, seq) })) !== null
    );
  }

  // S-19: the tries at delivering the end at `seq` to the scan's callbackUrl, in order.
  async deliveriesOf(scanId: string, seq: number): Promise<ScanAttempt[]> {
    const tries: ScanAttempt[] = [];
    for (let attempt = 1; ; attempt++) {
      const entry = await this.entries
        .findOne({ _id: deliveryKey(scanId, seq, attempt) })
        .lean<ScanAttempt>()
        .exec();
      if (!entry) return tries;
      tries.push(entry);
    }
  }

  async exists(scanId: string, seq: number): Promise<boolean> {
    return (
      (await this.entries.exists({ _id: attemptKey(scanId, seq) })) !== null
    );
  }

  // The latest entry, probing forward from a seq known to exist (or 0). The queue entry lags
  // the log by a step or two at most, so this is a couple of point reads, not a scan.
  async latest(scanId: string, knownSeq: number): Promise<ScanAttempt | null> {
    let last = knownSeq > 0 ? await this.get(scanId, knownSeq) : null;
    if (knownSeq > 0 && !last) return this.latest(scanId, 0);
    for (let seq = knownSeq + 1; ; seq++) {
      const next = await this.get(scanId, seq);
      if (!next) return last;
      last = next;
    }
  }

  // Only the claiming worker writes its claim entry, and its kind and workerId never change, so
  // on FerretDB (no pushdown for other filters) a check on a read by _id is as good as the filter.
  updateOwnClaim(
    scanId: string,
    attempt: number,
    workerId: string,
    fields: Partial<
      Pick<
        ScanAttempt,
        'leaseUntil' | 'released' | 'error' | 'errorClass' | 'nextAttemptAt'
      >
    >,
  ): Promise<boolean> {
    return updateGuarded(
      this.entries,
      attemptKey(scanId, attempt),
      { kind: 'claim', workerId },
      { $set: fields },
    );
  }
}
