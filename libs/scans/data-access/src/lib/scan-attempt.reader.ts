import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { ScanAttempt } from './scan-attempt.schema';
import {
  isStoreUnavailable,
  ScanStoreUnavailableError,
} from './scan-store-unavailable.error';

// One entry of a scan's attempt log as the status API shows it (O-1).
export interface ScanAttemptView {
  seq: number;
  kind: 'claim' | 'end';
  attempt: number;
  workerId: string;
  at: string;
  leaseUntil: string | null;
  released: boolean;
  status: string | null;
  error: string | null;
}

// Read-only view of the scan_attempts log, kept apart from the claim protocol's writes.
@Injectable()
export class ScanAttemptReader {
  constructor(
    @InjectModel(ScanAttempt.name)
    private readonly attemptLog: Model<ScanAttempt>,
  ) {}

  async list(scanId: string, limit = 100): Promise<ScanAttemptView[]> {
    try {
      const entries = await this.attemptLog
        .find({ scanId })
        .sort({ seq: 1 })
        .limit(limit)
        .lean<ScanAttempt[]>();
      return entries.map(toScanAttemptView);
    } catch (error) {
      throw isStoreUnavailable(error)
        ? new ScanStoreUnavailableError(error)
        : error;
    }
  }
}

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
    status: entry.status ?? null,
    error: entry.error ?? null,
  };
}
