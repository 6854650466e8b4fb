import type { ScanResult } from '@gatehouse/shared/contracts';

// lease-lost and shutdown end a run without recording a result; cancelled (S-17) records
// Cancelled with what the job found before it stopped.
export type StopReason = 'lease-lost' | 'shutdown' | 'cancelled';

// The abort reason of a run that must stop.
export class StopRun extends Error {
  // What the job found before it stopped, when it can tell (S-17 keeps it on a cancel).
  partial: ScanResult | null = null;

  // details: why the run stopped, added to the state-change log line.
  constructor(
    readonly reason: StopReason,
    readonly details: Record<string, unknown> = {},
  ) {
    super(reason);
  }
}
