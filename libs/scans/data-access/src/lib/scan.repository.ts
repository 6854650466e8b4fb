import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { ScanStatus } from '@gatehouse/shared/contracts';
import { randomUUID } from 'node:crypto';
import type { FilterQuery, Model } from 'mongoose';
import { isDuplicateKey } from './is-duplicate-key';
import { ScanAttempt } from './scan-attempt.schema';
import { scanCursor } from './scan-cursor';
import { Scan } from './scan.schema';
import {
  isStoreUnavailable,
  ScanStoreUnavailableError,
} from './scan-store-unavailable.error';

export interface ScanRecord {
  scanId: string;
  status: ScanStatus;
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
}

export interface CreateScanInput {
  target?: string | null;
  idempotencyKey?: string;
}

export interface ListScansQuery {
  status?: ScanStatus;
  limit: number;
  cursor?: string;
}

export interface ClaimOptions {
  leaseMs: number;
  maxAttempts: number;
  // How many candidates one poll reads; they are tried in random order so that workers
  // polling at the same moment rarely collide on the same scan.
  batchSize?: number;
}

export interface ClaimedScan {
  scanId: string;
  attempt: number;
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

export interface ClaimResult {
  claimed: ClaimedScan | null;
  // Scans this poll marked Failed because their last allowed attempt's lease expired (S-6).
  exhausted: ExhaustedScan[];
}

export type ScanSummary = Record<ScanStatus, number> & { total: number };

type Outcome =
  | { status: ScanStatus.Complete }
  | { status: ScanStatus.Failed; error: string };

const SCAN_FIELDS = {
  _id: 0,
  scanId: 1,
  status: 1,
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
} as const;

function attemptKey(scanId: string, seq: number): string {
  return `${scanId}:${seq}`;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

// All scan persistence, and the claim protocol of docs/adr/0002-scan-claim-protocol.md.
@Injectable()
export class ScanRepository {
  constructor(
    @InjectModel(Scan.name) private readonly scans: Model<Scan>,
    @InjectModel(ScanAttempt.name)
    private readonly attemptLog: Model<ScanAttempt>,
  ) {}

  // Builds this repository's indexes (the apps build them through ScanStoreConnection).
  async ensureIndexes(): Promise<void> {
    await this.guard(async () => {
      await this.scans.createIndexes();
      await this.attemptLog.createIndexes();
    });
  }

  // S-1: a retry with the same idempotency key returns the first scan, even under a race:
  // the unique index lets one insert win and the loser reads the winner's scan.
  async create(
    input: CreateScanInput,
  ): Promise<{ scan: ScanRecord; created: boolean }> {
    return this.guard(async () => {
      const doc: Partial<Scan> = {
        scanId: randomUUID(),
        status: ScanStatus.Accepted,
        target: input.target ?? null,
        attempts: 0,
      };
      if (input.idempotencyKey !== undefined)
        doc.idempotencyKey = input.idempotencyKey;
      try {
        // Not insertMany: with bufferCommands off it never settles while disconnected (Mongoose 8).
        const created = await this.scans.create(doc);
        return { scan: this.toRecord(created.toObject()), created: true };
      } catch (error) {
        if (!isDuplicateKey(error) || input.idempotencyKey === undefined)
          throw error;
        const existing = await this.scans
          .findOne({ idempotencyKey: input.idempotencyKey }, SCAN_FIELDS)
          .lean();
        if (!existing) throw error;
        return { scan: this.toRecord(existing), created: false };
      }
    });
  }

  async findById(scanId: string): Promise<ScanRecord | null> {
    return this.guard(async () => {
      const scan = await this.scans.findOne({ scanId }, SCAN_FIELDS).lean();
      return scan ? this.toRecord(scan) : null;
    });
  }

  // S-11: newest first; the cursor is the last item's (createdAt, scanId), so pages never
  // skip or repeat a scan while new ones arrive.
  async list(
    query: ListScansQuery,
  ): Promise<{ items: ScanRecord[]; nextCursor: string | null }> {
    const after =
      query.cursor === undefined ? undefined : scanCursor.decode(query.cursor);
    return this.guard(async () => {
      const filter: FilterQuery<Scan> = {};
      if (query.status) filter.status = query.status;
      if (after) {
        filter.$or = [
          { createdAt: { $lt: after.createdAt } },
          { createdAt: after.createdAt, scanId: { $lt: after.scanId } },
        ];
      }
      const rows = await this.scans
        .find(filter, SCAN_FIELDS)
        .sort({ createdAt: -1, scanId: -1 })
        .limit(query.limit + 1)
        .lean();
      const items = rows.slice(0, query.limit).map((row) => this.toRecord(row));
      const last = items[items.length - 1];
      const nextCursor =
        rows.length > query.limit && last ? scanCursor.encode(last) : null;
      return { items, nextCursor };
    });
  }

  async summary(): Promise<ScanSummary> {
    return this.guard(async () => {
      const groups = await this.scans.aggregate<{
        _id: ScanStatus;
        count: number;
      }>([{ $group: { _id: '$status', count: { $sum: 1 } } }]);
      const summary: ScanSummary = {
        [ScanStatus.Accepted]: 0,
        [ScanStatus.Running]: 0,
        [ScanStatus.Complete]: 0,
        [ScanStatus.Failed]: 0,
        total: 0,
      };
      for (const group of groups) {
        if (group._id in summary) summary[group._id] = group.count;
        summary.total += group.count;
      }
      return summary;
    });
  }

  // The scan's history: claims and the end, in order.
  async history(scanId: string): Promise<ScanAttempt[]> {
    return this.guard(() =>
      this.attemptLog.find({ scanId }).sort({ seq: 1 }).lean<ScanAttempt[]>(),
    );
  }

  // S-4..S-6: claims the oldest claimable scan, Accepted first, then those whose lease expired.
  async claimNext(
    workerId: string,
    options: ClaimOptions,
  ): Promise<ClaimResult> {
    return this.guard(async () => {
      const batch = options.batchSize ?? 16;
      const exhausted: ExhaustedScan[] = [];
      const accepted = await this.scans
        .find({ status: ScanStatus.Accepted }, SCAN_FIELDS)
        .sort({ createdAt: 1 })
        .limit(batch)
        .lean();
      const fromAccepted = await this.claimFirst(
        accepted,
        workerId,
        options,
        exhausted,
      );
      if (fromAccepted) return { claimed: fromAccepted, exhausted };
      const expired = await this.scans
        .find(
          { status: ScanStatus.Running, leaseUntil: { $lt: new Date() } },
          SCAN_FIELDS,
        )
        .sort({ leaseUntil: 1 })
        .limit(batch)
        .lean();
      const fromExpired = await this.claimFirst(
        expired,
        workerId,
        options,
        exhausted,
      );
      if (fromExpired) return { claimed: fromExpired, exhausted };
      return { claimed: null, exhausted };
    });
  }

  // Tries the candidates in random order, so that workers polling together spread out.
  private async claimFirst(
    candidates: Parameters<ScanRepository['toRecord']>[0][],
    workerId: string,
    options: ClaimOptions,
    exhausted: ExhaustedScan[],
  ): Promise<ClaimResult['claimed']> {
    for (const scan of shuffle(candidates)) {
      const claimed = await this.tryClaim(
        this.toRecord(scan),
        workerId,
        options,
        exhausted,
      );
      if (claimed) return claimed;
    }
    return null;
  }

  // Claims one given scan if it is claimable now; null when another worker holds or won it.
  async claim(
    scanId: string,
    workerId: string,
    options: ClaimOptions,
  ): Promise<ClaimResult> {
    return this.guard(async () => {
      const exhausted: ExhaustedScan[] = [];
      const scan = await this.scans.findOne({ scanId }, SCAN_FIELDS).lean();
      if (!scan) return { claimed: null, exhausted };
      const claimed = await this.tryClaim(
        this.toRecord(scan),
        workerId,
        options,
        exhausted,
      );
      return { claimed, exhausted };
    });
  }

  // Extends the lease of an attempt this worker holds. False means the attempt is lost:
  // a later entry exists in the log, so the worker must stop and write nothing more.
  async renewLease(
    scanId: string,
    attempt: number,
    workerId: string,
    leaseMs: number,
  ): Promise<Date | null> {
    return this.guard(async () => {
      const leaseUntil = new Date(Date.now() + leaseMs);
      const renewed = await this.attemptLog.updateOne(
        { _id: attemptKey(scanId, attempt), kind: 'claim', workerId },
        { $set: { leaseUntil } },
      );
      if (
        renewed.matchedCount === 0 ||
        (await this.superseded(scanId, attempt))
      )
        return null;
      // The owner re-projects its whole claim, not just the lease: it is the only writer of a
      // live claim's view, so this also mends a view that a stale write-back rolled back.
      const claim = await this.attemptLog
        .findOne({ _id: attemptKey(scanId, attempt) })
        .lean<ScanAttempt>();
      if (claim) await this.projectClaim({ ...claim, leaseUntil });
      return leaseUntil;
    });
  }

  async complete(
    scanId: string,
    attempt: number,
    workerId: string,
  ): Promise<boolean> {
    return this.finish(scanId, attempt, workerId, {
      status: ScanStatus.Complete,
    });
  }

  async fail(
    scanId: string,
    attempt: number,
    workerId: string,
    error: string,
  ): Promise<boolean> {
    return this.finish(scanId, attempt, workerId, {
      status: ScanStatus.Failed,
      error,
    });
  }

  // S-8: gives an unfinished attempt back, so that another worker claims the scan at once.
  async release(
    scanId: string,
    attempt: number,
    workerId: string,
  ): Promise<boolean> {
    return this.guard(async () => {
      const now = new Date();
      const released = await this.attemptLog.updateOne(
        { _id: attemptKey(scanId, attempt), kind: 'claim', workerId },
        { $set: { leaseUntil: now, released: true } },
      );
      if (
        released.matchedCount === 0 ||
        (await this.superseded(scanId, attempt))
      )
        return false;
      await this.scans.updateOne(
        { scanId, attempts: attempt, status: ScanStatus.Running, workerId },
        {
          $set: {
            status: ScanStatus.Accepted,
            workerId: null,
            leaseUntil: null,
          },
        },
      );
      return true;
    });
  }

  // Appends the end of `attempt` at seq attempt+1. Exactly one of this and a reclaim of the
  // next attempt can win that seq, so a late write from a lost attempt is ignored (S-6).
  private async finish(
    scanId: string,
    attempt: number,
    workerId: string,
    outcome: Outcome,
  ): Promise<boolean> {
    return this.guard(async () => {
      const claim = await this.attemptLog
        .findOne({ _id: attemptKey(scanId, attempt) })
        .lean<ScanAttempt>();
      if (!claim || claim.kind !== 'claim' || claim.workerId !== workerId)
        return false;
      const end: ScanAttempt = {
        _id: attemptKey(scanId, attempt + 1),
        scanId,
        seq: attempt + 1,
        kind: 'end',
        attempt,
        workerId,
        at: new Date(),
        status: outcome.status,
        ...(outcome.status === ScanStatus.Failed
          ? { error: outcome.error }
          : {}),
      };
      if (!(await this.append(end))) {
        // A retry whose first try did land (its reply was lost) finds its own entry: a win.
        const existing = await this.attemptLog
          .findOne({ _id: end._id })
          .lean<ScanAttempt>();
        if (!isSameEnd(existing, end)) return false;
        await this.projectEnd(existing as ScanAttempt);
        return true;
      }
      await this.projectEnd(end);
      return true;
    });
  }

  private async tryClaim(
    scan: ScanRecord,
    workerId: string,
    options: ClaimOptions,
    exhausted: ExhaustedScan[],
  ): Promise<ClaimedScan | null> {
    if (
      scan.status === ScanStatus.Complete ||
      scan.status === ScanStatus.Failed
    )
      return null;
    // Fast path: a scan nobody has touched. Losing this insert just means another worker won.
    if (scan.status === ScanStatus.Accepted && scan.attempts === 0) {
      const won = await this.appendClaim(
        scan,
        1,
        workerId,
        options.leaseMs,
        false,
      );
      if (won) return won;
    }
    // The scan document may lag the log (a crash between two writes, or a write-back lost on
    // FerretDB), so decide from the log's latest entry and repair the document on the way.
    const last = await this.attemptLog
      .findOne({ scanId: scan.scanId })
      .sort({ seq: -1 })
      .lean<ScanAttempt>();
    if (!last)
      return this.appendClaim(scan, 1, workerId, options.leaseMs, false);
    if (last.kind === 'end') {
      await this.projectEnd(last);
      return null;
    }
    const now = Date.now();
    // A live claim is projected by its winner alone. Projecting it from here raced the
    // winner's own end on FerretDB: the stale write-back put a finished scan back to
    // Running until its lease expired. A winner that crashed before projecting leaves
    // the scan Accepted, and it is reclaimed once the lease expires.
    if (last.leaseUntil && last.leaseUntil.getTime() > now) return null;
    if (last.attempt >= options.maxAttempts && !last.released) {
      const error = `lease expired on attempt ${last.attempt} of ${options.maxAttempts} (worker ${last.workerId} stopped renewing it)`;
      const end: ScanAttempt = {
        _id: attemptKey(scan.scanId, last.seq + 1),
        scanId: scan.scanId,
        seq: last.seq + 1,
        kind: 'end',
        attempt: last.attempt,
        workerId,
        at: new Date(now),
        status: ScanStatus.Failed,
        error,
      };
      if (await this.append(end)) {
        await this.projectEnd(end);
        exhausted.push({ scanId: scan.scanId, attempt: last.attempt, error });
      }
      return null;
    }
    return this.appendClaim(
      scan,
      last.seq + 1,
      workerId,
      options.leaseMs,
      true,
    );
  }

  private async appendClaim(
    scan: ScanRecord,
    attempt: number,
    workerId: string,
    leaseMs: number,
    reclaimed: boolean,
  ): Promise<ClaimedScan | null> {
    const at = new Date();
    const claim: ScanAttempt = {
      _id: attemptKey(scan.scanId, attempt),
      scanId: scan.scanId,
      seq: attempt,
      kind: 'claim',
      attempt,
      workerId,
      at,
      leaseUntil: new Date(at.getTime() + leaseMs),
    };
    if (!(await this.append(claim))) return null;
    await this.projectClaim(claim);
    return {
      scanId: scan.scanId,
      attempt,
      target: scan.target,
      leaseUntil: claim.leaseUntil as Date,
      reclaimed,
    };
  }

  // The protocol's only decision point: true for exactly one writer of a given seq.
  private async append(entry: ScanAttempt): Promise<boolean> {
    try {
      await this.attemptLog.create(entry);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  private async superseded(scanId: string, attempt: number): Promise<boolean> {
    return (
      (await this.attemptLog.exists({
        _id: attemptKey(scanId, attempt + 1),
      })) !== null
    );
  }

  private async projectClaim(claim: ScanAttempt): Promise<void> {
    await this.scans.updateOne(
      {
        scanId: claim.scanId,
        status: { $in: [ScanStatus.Accepted, ScanStatus.Running] },
        attempts: { $lte: claim.attempt },
      },
      {
        $set: {
          status: ScanStatus.Running,
          attempts: claim.attempt,
          workerId: claim.workerId,
          leaseUntil: claim.leaseUntil,
          startedAt: claim.at,
        },
      },
    );
  }

  // An end is final, so its projection overwrites whatever the document says. FerretDB can
  // still lose this write to a concurrent stale write-back; the re-check narrows that window,
  // and any poller repairs what is left once the stale lease expires (ADR 0002).
  private async projectEnd(end: ScanAttempt): Promise<void> {
    const update = {
      $set: {
        status: end.status,
        attempts: end.attempt,
        workerId: end.workerId,
        leaseUntil: null,
        finishedAt: end.at,
        error: end.error ?? null,
      },
    };
    for (let i = 0; i < 3; i++) {
      await this.scans.updateOne({ scanId: end.scanId }, update);
      const now = await this.scans
        .findOne({ scanId: end.scanId }, { status: 1, attempts: 1 })
        .lean();
      if (!now || (now.status === end.status && now.attempts === end.attempt))
        return;
    }
  }

  private toRecord(
    doc: Partial<Scan> & Pick<Scan, 'scanId' | 'status'>,
  ): ScanRecord {
    const record: ScanRecord = {
      scanId: doc.scanId,
      status: doc.status,
      target: doc.target ?? null,
      attempts: doc.attempts ?? 0,
      createdAt: doc.createdAt as Date,
      updatedAt: doc.updatedAt as Date,
      startedAt: doc.startedAt ?? null,
      finishedAt: doc.finishedAt ?? null,
      error: doc.error ?? null,
      workerId: doc.workerId ?? null,
      leaseUntil: doc.leaseUntil ?? null,
    };
    if (doc.idempotencyKey !== undefined)
      record.idempotencyKey = doc.idempotencyKey;
    return record;
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw isStoreUnavailable(error)
        ? new ScanStoreUnavailableError(error)
        : error;
    }
  }
}

function isSameEnd(existing: ScanAttempt | null, end: ScanAttempt): boolean {
  return (
    existing !== null &&
    existing.kind === 'end' &&
    existing.attempt === end.attempt &&
    existing.workerId === end.workerId &&
    existing.status === end.status
  );
}
