import type { ScanAttemptView } from '@gatehouse/shared/contracts';
import type { ScanAttempt } from './scan-attempt.schema';

// One entry of a scan's attempt log as the status API shows it (O-1).
export function toScanAttemptView(entry: ScanAttempt): ScanAttemptView {
  return {
    seq: entry.seq,
    kind: entry.kind,
    attempt: entry.attempt,
    workerId: entry.workerId,
    at: new Date(entry.at).toISOString(),
    leaseUntil: entry.leaseUntil
      ? new Date(entry.leaseUntil).toISOString()
      : null,
    released: entry.released === true,
    // A delivery's status is its outcome: delivered, failed, or null while it is being made.
    status:
      entry.kind === 'delivery'
        ? (entry.outcome ?? null)
        : (entry.status ?? null),
    error: entry.error ?? null,
    errorClass: entry.errorClass ?? null,
    nextAttemptAt: entry.nextAttemptAt
      ? new Date(entry.nextAttemptAt).toISOString()
      : null,
    httpStatus: entry.httpStatus ?? null,
  };
}
