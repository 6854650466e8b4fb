import type { Model } from 'mongoose';
import { insertIfAbsent, isFerretDb } from './guarded-update';
import { ScanAttempt } from './scan-attempt.schema';

export function attemptKey(scanId: string, seq: number): string {
  return `${scanId}:${seq}`;
}

// The append-only log of ADR 0002. Every read here is by _id, the one filter FerretDB 1.x
// pushes down to SQLite, so no step of the claim protocol reads more as the log grows.
export class AttemptLog {
  constructor(private readonly entries: Model<ScanAttempt>) {}

  // The protocol's only decision point: true for exactly one writer of a given seq.
  append(entry: ScanAttempt): Promise<boolean> {
    return insertIfAbsent(this.entries, entry);
  }

  get(scanId: string, seq: number): Promise<ScanAttempt | null> {
    return this.entries
      .findOne({ _id: attemptKey(scanId, seq) })
      .lean<ScanAttempt>()
      .exec();
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
  async updateOwnClaim(
    scanId: string,
    attempt: number,
    workerId: string,
    fields: Partial<Pick<ScanAttempt, 'leaseUntil' | 'released'>>,
  ): Promise<boolean> {
    const _id = attemptKey(scanId, attempt);
    if (await isFerretDb(this.entries.db)) {
      const claim = await this.entries
        .findOne({ _id }, { kind: 1, workerId: 1 })
        .lean<Pick<ScanAttempt, 'kind' | 'workerId'>>();
      if (claim?.kind !== 'claim' || claim.workerId !== workerId) return false;
      return (
        (await this.entries.updateOne({ _id }, { $set: fields })).matchedCount >
        0
      );
    }
    const result = await this.entries.updateOne(
      { _id, kind: 'claim', workerId },
      { $set: fields },
    );
    return result.matchedCount > 0;
  }
}
