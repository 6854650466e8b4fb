import type {
  ScanKind,
  ScanResult,
  ScanStatus,
} from '@gatehouse/shared/contracts';
import type { Scan } from './scan.schema';

// A scan as the data-access layer hands it out: the S-2 fields of the `scans` view.
export interface ScanRecord {
  scanId: string;
  status: ScanStatus;
  kind: ScanKind;
  target: string | null;
  idempotencyKey?: string;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  workerId: string | null;
  leaseUntil: Date | null;
  nextAttemptAt: Date | null;
  cancelRequestedAt: Date | null;
  callbackUrl: string | null;
  result: ScanResult | null;
}

export const SCAN_FIELDS = {
  _id: 0,
  scanId: 1,
  status: 1,
  kind: 1,
  target: 1,
  idempotencyKey: 1,
  attempts: 1,
  createdAt: 1,
  updatedAt: 1,
  startedAt: 1,
  finishedAt: 1,
  error: 1,
  workerId: 1,
  leaseUntil: 1,
  nextAttemptAt: 1,
  cancelRequestedAt: 1,
  callbackUrl: 1,
  result: 1,
} as const;

export type ScanRow = Partial<Scan> & Pick<Scan, 'scanId' | 'status'>;

export function toScanRecord(doc: ScanRow): ScanRecord {
  const record: ScanRecord = {
    scanId: doc.scanId,
    status: doc.status,
    kind: doc.kind ?? 'simulated',
    target: doc.target ?? null,
    attempts: doc.attempts ?? 0,
    createdAt: doc.createdAt as Date,
    updatedAt: doc.updatedAt as Date,
    startedAt: doc.startedAt ?? null,
    finishedAt: doc.finishedAt ?? null,
    error: doc.error ?? null,
    workerId: doc.workerId ?? null,
    leaseUntil: doc.leaseUntil ?? null,
    nextAttemptAt: doc.nextAttemptAt ?? null,
    cancelRequestedAt: doc.cancelRequestedAt ?? null,
    callbackUrl: doc.callbackUrl ?? null,
    result: doc.result ?? null,
  };
  if (doc.idempotencyKey !== undefined)
    record.idempotencyKey = doc.idempotencyKey;
  return record;
}
