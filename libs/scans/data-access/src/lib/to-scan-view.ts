import type { ScanView } from '@gatehouse/shared/contracts';
import type { ScanRecord } from './scan-record';

const iso = (date: Date | null): string | null =>
  date ? date.toISOString() : null;

// The public JSON shape of a scan; the idempotency key stays private.
export function toScanView(scan: ScanRecord): ScanView {
  return {
    scanId: scan.scanId,
    status: scan.status,
    kind: scan.kind,
    target: scan.target,
    attempts: scan.attempts,
    createdAt: scan.createdAt.toISOString(),
    updatedAt: scan.updatedAt.toISOString(),
    startedAt: iso(scan.startedAt),
    finishedAt: iso(scan.finishedAt),
    error: scan.error,
    workerId: scan.workerId,
    leaseUntil: iso(scan.leaseUntil),
    nextAttemptAt: iso(scan.nextAttemptAt),
    cancelRequestedAt: iso(scan.cancelRequestedAt),
    result: scan.result,
    callbackUrl: scan.callbackUrl,
  };
}
