import type { AttemptLog } from './attempt-log';
import type { ScanAttempt } from './scan-attempt.schema';
import type { EndingScan, ScanProjector } from './scan-projector';
import { inStoreOperation } from './store-commands';

interface Pending {
  end: ScanAttempt;
  scan: EndingScan;
  resolve(recorded: boolean): void;
  reject(error: unknown): void;
}

// The ends a process's workers record in one turn of the event loop, written together (S-13):
// their log entries in one unordered insert, each decided on its own (ADR 0002), then their
// projections (ScanProjector.endEach). Nothing waits for a batch to fill: a lone end is written
// on the next turn. A failed command fails every end of its batch, and each caller's retry
// finds its own entry if it landed.
export class ScanEndBatch {
  private pending: Pending[] = [];

  constructor(
    private readonly log: AttemptLog,
    private readonly projector: ScanProjector,
  ) {}

  // True when `end` is in the log: appended now, or by an earlier try of the same writer whose
  // reply was lost. False when another entry holds its seq (a reclaim won: S-6).
  record(end: ScanAttempt, scan: EndingScan): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ end, scan, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const recorded = await inStoreOperation('finish', () =>
        this.write(batch),
      );
      batch.forEach((each, i) => each.resolve(recorded[i]));
    } catch (error) {
      for (const each of batch) each.reject(error);
    }
  }

  private async write(batch: Pending[]): Promise<boolean[]> {
    const appended = await this.log.appendEach(batch.map(({ end }) => end));
    // The entry each end is projected from: its own, or the earlier try's that landed.
    const recorded = await Promise.all(
      batch.map(async ({ end }, i) => {
        if (appended[i]) return end;
        const existing = await this.log.get(end.scanId, end.seq);
        return existing && isSameEnd(existing, end) ? existing : null;
      }),
    );
    const ends = batch.flatMap(({ scan }, i) => {
      const end = recorded[i];
      return end ? [{ end, scan }] : [];
    });
    // A scan is only in the waiting queue while no live claim holds it; a stray entry left by a
    // crashed release is removed by the poll that meets it.
    if (ends.length > 0) await this.projector.endEach(ends);
    return recorded.map((end) => end !== null);
  }
}

function isSameEnd(existing: ScanAttempt, end: ScanAttempt): boolean {
  return (
    existing.kind === 'end' &&
    existing.attempt === end.attempt &&
    existing.workerId === end.workerId &&
    existing.status === end.status
  );
}
