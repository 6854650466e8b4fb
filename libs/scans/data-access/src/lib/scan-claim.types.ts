import type { ScanKind } from '@gatehouse/shared/contracts';

// The claim protocol's public shapes (ADR 0002, ADR 0006).
export interface ClaimOptions {
  leaseMs: number;
  maxAttempts: number;
  // How many scans one poll may claim (the worker's free slots); 1 by default.
  max?: number;
  // How many candidates of each kind a poll reads, at least 4 per scan it may claim. They are
  // tried in random order, so workers polling at the same moment rarely collide.
  batchSize?: number;
}

export interface ClaimedScan {
  scanId: string;
  // The attempt's number, as the scan shows it.
  attempt: number;
  // Its claim's place in the attempt log: what renewals and the end are fenced by. Equal to
  // `attempt` until the scan is retried (S-17).
  seq: number;
  // Its number within this run (since the latest retry), which MAX_ATTEMPTS bounds.
  runAttempt: number;
  kind: ScanKind;
  target: string | null;
  leaseUntil: Date;
  // True when an earlier attempt's lease had expired (its worker died or stalled).
  reclaimed: boolean;
}

export interface ExhaustedScan {
  scanId: string;
  attempt: number;
  error: string;
}

export interface ClaimBatch {
  claimed: ClaimedScan[];
  // Scans this poll marked Failed because their last allowed attempt's lease expired (S-6).
  exhausted: ExhaustedScan[];
}

export interface ClaimResult {
  claimed: ClaimedScan | null;
  exhausted: ExhaustedScan[];
}
