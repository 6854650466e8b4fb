import type { ScanCounters } from './scan-counters';
import { ScanStatus } from '@gatehouse/shared/contracts';
import { AttemptLog, attemptKey, endEntry, EndOutcome } from './attempt-log';
import { ScanAttempt } from './scan-attempt.schema';
import type {
  ClaimBatch,
  ClaimedScan,
  ClaimOptions,
  ExhaustedScan,
} from './scan-claim.types';
import { OpenScan, ScanProjector } from './scan-projector';
import { inStoreOperation } from './store-commands';

// A scan a poll may claim: waiting in the queue, or holding a lease that has expired.
export interface Candidate extends OpenScan {
  attempts: number;
  nextAttemptAt?: Date;
  fromQueue: boolean;
}

// An attempt this process holds: its scan and its number.
export interface HeldClaim extends OpenScan {
  attempt: number;
}

// Attempts this process holds, by heldKey: for renewals and finishes without a lookup.
export type HeldAttempts = Map<string, HeldClaim>;

// Keyed by the claim's seq in the attempt log.
export function heldKey(scanId: string, seq: number, workerId: string) {
  return `${attemptKey(scanId, seq)}/${workerId}`;
}

// How long a claim's winner is trusted to move its scan out of the waiting queue before a poll
// that meets the scan there moves it: a winner that crashed in between delays only its own
// lease's expiry by this much, and a poll that lost the race writes nothing.
export const MOVE_AFTER_MS = 1_000;

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

// Turns queue entries into claims (ADR 0002): decides each from the attempt log, by a unique
// insert, and repairs on the way what a crash or a lost write-back left behind.
export class ScanClaimer {
  constructor(
    private readonly log: AttemptLog,
    private readonly projector: ScanProjector,
    private readonly held: HeldAttempts,
    private readonly counters: ScanCounters,
  ) {}

  // Tries candidates in random order, as many at once as there are claims still wanted.
  async claimFrom(
    candidates: Candidate[],
    workerId: string,
    options: ClaimOptions,
    max: number,
    result: ClaimBatch,
  ): Promise<void> {
    const queue = shuffle(candidates);
    while (queue.length > 0 && result.claimed.length < max) {
      const tries = queue.splice(0, max - result.claimed.length);
      const fresh = tries.filter(isFresh);
      const won = await Promise.all([
        fresh.length > 0 &&
          inStoreOperation('claim', () =>
            this.claimFresh(fresh, workerId, options, result.exhausted),
          ),
        ...tries
          .filter((entry) => !isFresh(entry))
          .map((entry) =>
            inStoreOperation('claim', () =>
              this.tryClaim(entry, workerId, options, result.exhausted),
            ),
          ),
      ]);
      for (const claim of won.flat()) if (claim) result.claimed.push(claim);
    }
  }

  // The fast path: scans nobody has touched. Their seq-1 claims go in one insert, each decided
  // on its own, and their projections are batched (ScanProjector.claimEach). Losing an insert
  // usually just means another worker won; a scan whose insert lost goes on as in tryClaim.
  private async claimFresh(
    entries: Candidate[],
    workerId: string,
    options: ClaimOptions,
    exhausted: ExhaustedScan[],
  ): Promise<(ClaimedScan | null)[]> {
    const claims = entries.map((entry) =>
      claimEntry(entry, 1, 1, 1, workerId, options),
    );
    const won = await this.log.appendEach(claims);
    const winners = entries.flatMap((entry, i) =>
      won[i] ? [{ entry, claim: claims[i] }] : [],
    );
    for (const { entry, claim } of winners) this.hold(entry, claim);
    const [current, lost] = await Promise.all([
      winners.length > 0
        ? this.projector.claimEach(
            winners.map(({ entry, claim }) => ({ claim, scan: entry })),
            true,
          )
        : [],
      Promise.all(
        entries
          .filter((_, i) => !won[i])
          .map((entry) => this.tryClaim(entry, workerId, options, exhausted)),
      ),
    ]);
    return [
      ...winners.map(({ entry, claim }, i) =>
        this.claimed(entry, claim, current[i]),
      ),
      ...lost,
    ];
  }

  // Decides a scan from the attempt log, for a candidate that is not fresh or whose fresh claim
  // lost its insert.
  private async tryClaim(
    entry: Candidate,
    workerId: string,
    options: ClaimOptions,
    exhausted: ExhaustedScan[],
  ): Promise<ClaimedScan | null> {
    // The open-work entry may lag the log (a crash between two writes, or a write-back lost on
    // FerretDB), so decide from the log's latest entry and repair on the way.
    const last = await this.log.latest(entry._id, entry.attempts);
    if (!last) return this.appendClaim(entry, 1, 1, 1, workerId, options);
    if (last.kind === 'end') {
      await this.projector.end(last, entry);
      return null;
    }
    // S-17: a retried scan starts a new run, with MAX_ATTEMPTS of its own.
    if (last.kind === 'retry')
      return this.appendClaim(
        entry,
        last.seq + 1,
        last.attempt + 1,
        last.attempt + 1,
        workerId,
        options,
      );
    const now = Date.now();
    if (last.leaseUntil && last.leaseUntil.getTime() > now) {
      // A live claim is projected by its winner alone (ADR 0002); a winner that stopped before
      // moving the scan out of the waiting queue gets it moved, so its lease can expire. A claim
      // younger than MOVE_AFTER_MS is a winner still moving it: a race lost, nothing to repair.
      if (entry.fromQueue && now - last.at.getTime() >= MOVE_AFTER_MS)
        await this.projector.move(last, entry);
      return null;
    }
    // S-17: a cancel asked of an attempt whose worker stopped (or gave it back) ends the scan.
    if (await this.log.cancelRequested(entry._id, last.seq)) {
      await this.endAfter(
        entry,
        last,
        workerId,
        {
          status: ScanStatus.Cancelled,
          error: 'cancelled by request',
        },
        last.released ? ScanStatus.Accepted : ScanStatus.Running,
      );
      return null;
    }
    const runFrom = last.runFrom ?? 1;
    if (last.attempt - runFrom + 1 >= options.maxAttempts && !last.released) {
      const error = `lease expired on attempt ${last.attempt} of ${options.maxAttempts} (worker ${last.workerId} stopped renewing it)`;
      if (
        await this.endAfter(
          entry,
          last,
          workerId,
          { status: ScanStatus.Failed, error },
          ScanStatus.Running,
        )
      )
        exhausted.push({ scanId: entry._id, attempt: last.attempt, error });
      return null;
    }
    return this.appendClaim(
      entry,
      last.seq + 1,
      last.attempt + 1,
      runFrom,
      workerId,
      options,
      true,
    );
  }

  // Ends the scan after `last`, a claim whose worker is gone; false when another entry won.
  private async endAfter(
    entry: Candidate,
    last: ScanAttempt,
    workerId: string,
    outcome: EndOutcome,
    from: ScanStatus,
  ): Promise<boolean> {
    const end = endEntry(
      entry._id,
      last.seq,
      last.attempt,
      workerId,
      outcome,
      new Date(),
    );
    if (!(await this.log.append(end))) return false;
    await this.projector.end(end, entry);
    this.counters.change(from, outcome.status);
    return true;
  }

  private async appendClaim(
    entry: Candidate,
    seq: number,
    attempt: number,
    runFrom: number,
    workerId: string,
    options: ClaimOptions,
    reclaimed = false,
  ): Promise<ClaimedScan | null> {
    const claim = claimEntry(entry, seq, attempt, runFrom, workerId, options);
    if (!(await this.log.append(claim))) return null;
    this.hold(entry, claim);
    const current = await this.projector.claim(claim, entry, entry.fromQueue);
    return this.claimed(entry, claim, current, reclaimed);
  }

  // Remembers a won claim, so its renewals and its finish need no lookup.
  private hold(entry: Candidate, claim: ScanAttempt): void {
    this.held.set(heldKey(entry._id, claim.seq, claim.workerId), {
      _id: entry._id,
      viewId: entry.viewId,
      target: entry.target,
      kind: entry.kind,
      createdAt: entry.createdAt,
      callbackUrl: entry.callbackUrl ?? null,
      attempt: claim.attempt,
    });
  }

  // A won and projected claim, as the worker runs it; null when its projection found it
  // superseded already (this process stalled past the lease): it is never run.
  private claimed(
    entry: Candidate,
    claim: ScanAttempt,
    current: boolean,
    reclaimed = false,
  ): ClaimedScan | null {
    if (!current) {
      this.held.delete(heldKey(entry._id, claim.seq, claim.workerId));
      return null;
    }
    if (entry.fromQueue)
      this.counters.change(ScanStatus.Accepted, ScanStatus.Running);
    return {
      scanId: entry._id,
      attempt: claim.attempt,
      seq: claim.seq,
      runAttempt: claim.attempt - (claim.runFrom ?? 1) + 1,
      kind: entry.kind ?? 'simulated',
      target: entry.target,
      leaseUntil: claim.leaseUntil as Date,
      reclaimed,
    };
  }
}

// A scan nobody has touched: its first claim is seq 1.
function isFresh(entry: Candidate): boolean {
  return entry.fromQueue && entry.attempts === 0;
}

// The claim entry of attempt `attempt` at `seq`, leased from now.
function claimEntry(
  entry: Candidate,
  seq: number,
  attempt: number,
  runFrom: number,
  workerId: string,
  options: ClaimOptions,
): ScanAttempt {
  const at = new Date();
  return {
    _id: attemptKey(entry._id, seq),
    scanId: entry._id,
    seq,
    kind: 'claim',
    attempt,
    ...(runFrom !== 1 ? { runFrom } : {}),
    workerId,
    at,
    leaseUntil: new Date(at.getTime() + options.leaseMs),
  };
}
