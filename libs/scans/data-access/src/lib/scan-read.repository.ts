import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { ScanStatus, ScanSummaryResponse } from '@gatehouse/shared/contracts';
import type { FilterQuery, Model } from 'mongoose';
import { AttemptLog } from './attempt-log';
import { ScanAttempt } from './scan-attempt.schema';
import { ScanCounters } from './scan-counters';
import { scanCursor } from './scan-cursor';
import { SCAN_FIELDS, ScanRecord, ScanRow, toScanRecord } from './scan-record';
import { ScanStoreSetup } from './scan-store.setup';
import { Scan } from './scan.schema';
import { guardStore } from './store-guard';

export interface ListScansQuery {
  status?: ScanStatus;
  // S-18: targets that start with this text (the stored, normalised form).
  target?: string;
  // S-18: createdFrom <= createdAt < createdTo.
  createdFrom?: Date;
  createdTo?: Date;
  limit: number;
  cursor?: string;
}

// Every string that starts with `prefix` sorts in [prefix, prefix + U+FFFF): an index range.
function prefixRange(prefix: string) {
  return { $gte: prefix, $lt: `${prefix}\uffff` };
}

// The status app's side: one scan, a page of scans, counts by status, and a scan's history.
@Injectable()
export class ScanReadRepository {
  private readonly log: AttemptLog;
  private based = false;

  constructor(
    @InjectModel(Scan.name) private readonly scans: Model<Scan>,
    @InjectModel(ScanAttempt.name) attempts: Model<ScanAttempt>,
    private readonly setup: ScanStoreSetup,
    private readonly counters: ScanCounters,
  ) {
    this.log = new AttemptLog(attempts);
  }

  async findById(scanId: string): Promise<ScanRecord | null> {
    return guardStore(async () => {
      await this.setup.ensureIndexes();
      const scan = await this.scans
        .findOne({ scanId }, SCAN_FIELDS)
        .lean<ScanRow>();
      return scan ? toScanRecord(scan) : null;
    });
  }

  // S-11: newest first; the cursor is the last item's (createdAt, scanId), so pages never skip
  // or repeat a scan while new ones arrive. The top-level createdAt bound and the hint make a
  // deep page an index range read of one page (plus ties), not a walk over every page before it.
  async list(
    query: ListScansQuery,
  ): Promise<{ items: ScanRecord[]; nextCursor: string | null }> {
    const after =
      query.cursor === undefined ? undefined : scanCursor.decode(query.cursor);
    return guardStore(async () => {
      await this.setup.ensureIndexes();
      const filter: FilterQuery<Scan> = {};
      if (query.status) filter.status = query.status;
      if (query.target !== undefined) filter.target = prefixRange(query.target);
      const createdAt: Record<string, Date> = {};
      if (query.createdFrom) createdAt['$gte'] = query.createdFrom;
      if (query.createdTo) createdAt['$lt'] = query.createdTo;
      if (after) createdAt['$lte'] = after.createdAt;
      if (Object.keys(createdAt).length > 0) filter.createdAt = createdAt;
      if (after) {
        filter.$or = [
          { createdAt: { $lt: after.createdAt } },
          { scanId: { $lt: after.scanId } },
        ];
      }
      const rows = await this.scans
        .find(filter, SCAN_FIELDS)
        .sort({ createdAt: -1, scanId: -1 })
        .hint(
          query.target !== undefined
            ? { target: 1, createdAt: -1, scanId: -1 }
            : query.status
              ? { status: 1, createdAt: -1, scanId: -1 }
              : { createdAt: -1, scanId: -1 },
        )
        .limit(query.limit + 1)
        .lean<ScanRow[]>();
      const items = rows.slice(0, query.limit).map(toScanRecord);
      const last = items[items.length - 1];
      const nextCursor =
        rows.length > query.limit && last ? scanCursor.encode(last) : null;
      return { items, nextCursor };
    });
  }

  // S-11: counts by status from the counters every state change keeps: a few small documents,
  // however many scans are stored.
  async summary(): Promise<ScanSummaryResponse> {
    return guardStore(async () => {
      // A database from before the counters is recounted once, by the first reader.
      if (!this.based) {
        if (!(await this.counters.hasBase())) await this.repairSummary();
        this.based = true;
      }
      return this.counters.read();
    });
  }

  // S-11's repair: recounts from the scans and makes that the counters' base.
  async repairSummary(): Promise<{
    before: ScanSummaryResponse;
    after: ScanSummaryResponse;
  }> {
    return guardStore(async () => {
      await this.setup.ensureIndexes();
      return this.counters.repair();
    });
  }

  // The scan's history (O-1): claims, ends and retries, oldest first, each claim followed by the
  // cancel asked of it (S-17) and each end by its webhook deliveries (S-19). Read by _id one entry at a time (the log's seqs have no gaps), so
  // it costs the same however long the log of all scans is.
  async history(scanId: string, limit = 100): Promise<ScanAttempt[]> {
    return guardStore(async () => {
      const entries: ScanAttempt[] = [];
      for (let seq = 1; seq <= limit; seq++) {
        const entry = await this.log.get(scanId, seq);
        if (!entry) return entries;
        entries.push(entry);
        if (entry.kind === 'claim') {
          const cancel = await this.log.cancelOf(scanId, seq);
          if (cancel) entries.push(cancel);
        } else if (entry.kind === 'end')
          entries.push(...(await this.log.deliveriesOf(scanId, seq)));
      }
      return entries;
    });
  }
}
