import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { ScanStatus } from '@gatehouse/shared/contracts';
import type { Model, Types } from 'mongoose';
import { ScanAttempt } from './scan-attempt.schema';
import { insertIfAbsent } from './guarded-update';
import { ScanLease } from './scan-lease.schema';
import { ScanQueueEntry } from './scan-queue-entry.schema';
import { ScanWebhook } from './scan-webhook.schema';
import { Scan } from './scan.schema';
import { guardStore } from './store-guard';

export type OpenScanRow = Pick<Scan, 'scanId' | 'status'> &
  Partial<
    Pick<
      Scan,
      | 'target'
      | 'kind'
      | 'attempts'
      | 'createdAt'
      | 'leaseUntil'
      | 'workerId'
      | 'callbackUrl'
    >
  > & { _id: Types.ObjectId };

// Indexes, and the move of open work into its own collection (ADR 0006). Both are idempotent
// and need a reachable database, so callers run them lazily and retry, never at boot.
@Injectable()
export class ScanStoreSetup {
  private indexes: Promise<void> | undefined;

  constructor(
    @InjectModel(Scan.name) private readonly scans: Model<Scan>,
    @InjectModel(ScanAttempt.name)
    private readonly attempts: Model<ScanAttempt>,
    @InjectModel(ScanQueueEntry.name)
    private readonly queue: Model<ScanQueueEntry>,
    @InjectModel(ScanLease.name) private readonly leases: Model<ScanLease>,
    @InjectModel(ScanWebhook.name)
    private readonly webhooks: Model<ScanWebhook>,
  ) {}

  // Built once per process before the first use, so that a missing index fails loudly, not slowly.
  ensureIndexes(): Promise<void> {
    if (!this.indexes) {
      const building = guardStore(async () => {
        await this.scans.createIndexes();
        await this.attempts.createIndexes();
        await this.queue.createIndexes();
        await this.leases.createIndexes();
        await this.webhooks.createIndexes();
      });
      building.catch(() => (this.indexes = undefined));
      this.indexes = building;
    }
    return this.indexes;
  }

  // Gives every open scan of `scans` (Accepted, or Running) its open-work entry if it has none: the
  // migration from the single-collection layout, and the repair of an intake that stopped
  // between its two writes. Reads open scans once through the status index; an entry for a scan
  // that has in fact ended is harmless, as the first poll that meets it reads the log and
  // removes it.
  async enqueueOpenScans(): Promise<number> {
    return guardStore(async () => {
      await this.ensureIndexes();
      // Entries already there are read first (open work is small), so a restart over a long
      // backlog writes nothing rather than one rejected insert per queued scan.
      const present = new Set(
        [
          ...(await this.queue.find({}, { _id: 1 }).lean()),
          ...(await this.leases.find({}, { _id: 1 }).lean()),
        ].map((entry) => entry._id),
      );
      let enqueued = 0;
      const open = this.scans
        .find(
          { status: { $in: [ScanStatus.Accepted, ScanStatus.Running] } },
          {
            _id: 1,
            scanId: 1,
            status: 1,
            target: 1,
            kind: 1,
            attempts: 1,
            createdAt: 1,
            callbackUrl: 1,
            workerId: 1,
            leaseUntil: 1,
          },
        )
        .lean<OpenScanRow[]>()
        .cursor();
      for await (const scan of open) {
        if (present.has(scan.scanId)) continue;
        if (await this.enqueue(scan)) enqueued++;
      }
      return enqueued;
    });
  }

  // Idempotent: false when the scan already has its entry. An Accepted scan waits in the
  // queue; a Running one gets a lease entry, due at once when it carries no lease.
  async enqueue(scan: OpenScanRow): Promise<boolean> {
    const open = {
      _id: scan.scanId,
      viewId: scan._id,
      target: scan.target ?? null,
      kind: scan.kind ?? 'simulated',
      attempts: scan.attempts ?? 0,
      createdAt: scan.createdAt ?? new Date(),
      ...(scan.callbackUrl ? { callbackUrl: scan.callbackUrl } : {}),
    };
    if (scan.status !== ScanStatus.Running)
      return insertIfAbsent(this.queue, open);
    return insertIfAbsent(this.leases, {
      ...open,
      workerId: scan.workerId ?? null,
      leaseUntil: scan.leaseUntil ?? new Date(0),
    });
  }
}
