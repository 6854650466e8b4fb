import type { ClaimedScan } from '@gatehouse/scans/data-access';
import type { ScanKind, ScanResult } from '@gatehouse/shared/contracts';

// The work a scan does. Resolves with what it found (or nothing), rejects with the reason on
// failure, and stops early (rejecting with the signal's reason) when the signal aborts.
export type ScanJob = (
  scan: ClaimedScan,
  signal: AbortSignal,
) => Promise<ScanResult | void>;

// One job per kind (S-4): the compiler asks for a job when a kind is added to SCAN_KINDS.
export type ScanJobs = Record<ScanKind, ScanJob>;

export const SCAN_JOB = Symbol('SCAN_JOB');

export interface ScanJobErrorOptions {
  // What the job found before it failed (S-14: a scan that fails part-way keeps it).
  result?: ScanResult | null;
  // S-16: a passing failure (a timeout, a reset connection, a DNS failure) that a later
  // attempt may not meet. Anything not marked retryable is permanent: it ends the scan Failed
  // at once (a target out of scope, an invalid target).
  retryable?: boolean;
}

export class ScanJobError extends Error {
  readonly result: ScanResult | null;
  readonly retryable: boolean;

  constructor(message: string, options: ScanJobErrorOptions = {}) {
    super(message);
    this.name = 'ScanJobError';
    this.result = options.result ?? null;
    this.retryable = options.retryable ?? false;
  }

  get permanent(): boolean {
    return !this.retryable;
  }
}

// The job the worker runs: the one registered for the scan's kind.
export function byKind(jobs: ScanJobs): ScanJob {
  return (scan, signal) => {
    const job = jobs[scan.kind] as ScanJob | undefined;
    if (!job)
      return Promise.reject(
        new ScanJobError(`no job for scan kind "${String(scan.kind)}"`),
      );
    return job(scan, signal);
  };
}
