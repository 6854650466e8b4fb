import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { ScanKind, ScanStatus } from '@gatehouse/shared/contracts';
import { randomUUID } from 'node:crypto';
import type { Model, Types } from 'mongoose';
import { isDuplicateKey } from './is-duplicate-key';
import { ScanCounters } from './scan-counters';
import { SCAN_FIELDS, ScanRecord, ScanRow, toScanRecord } from './scan-record';
import { ScanStoreSetup } from './scan-store.setup';
import { Scan } from './scan.schema';
import { inStoreOperation } from './store-commands';
import { guardStore } from './store-guard';

export interface CreateScanInput {
  kind?: ScanKind;
  target?: string | null;
  // S-19: where the scan is posted when it ends.
  callbackUrl?: string;
  idempotencyKey?: string;
}

// The ingest app's side: stores a new Accepted scan in `scans` (the view and history) and in
// the open-work queue. The caller answers 202 only after both writes are acknowledged (S-3).
@Injectable()
export class ScanIntakeRepository {
  constructor(
    @InjectModel(Scan.name) private readonly scans: Model<Scan>,
    private readonly setup: ScanStoreSetup,
    private readonly counters: ScanCounters,
  ) {}

  // S-1: a retry with the same idempotency key returns the first scan, even under a race: the
  // unique index lets one insert win and the loser reads the winner's scan. The retry also
  // enqueues the scan if the first request stopped between its two writes.
  async create(
    input: CreateScanInput,
  ): Promise<{ scan: ScanRecord; created: boolean }> {
    return guardStore(() =>
      inStoreOperation('create', async () => {
        await this.setup.ensureIndexes();
        const doc: Partial<Scan> = {
          scanId: randomUUID(),
          status: ScanStatus.Accepted,
          kind: input.kind ?? 'simulated',
          target: input.target ?? null,
          attempts: 0,
          callbackUrl: input.callbackUrl ?? null,
        };
        if (input.idempotencyKey !== undefined)
          doc.idempotencyKey = input.idempotencyKey;
        try {
          // Not insertMany: with bufferCommands off it never settles while disconnected (Mongoose 8).
          const created = await this.scans.create(doc);
          const row = created.toObject() as ScanRow & { _id: Types.ObjectId };
          await this.setup.enqueue(row);
          // Written before the 202, so a summary read after it counts this scan.
          this.counters.change(null, ScanStatus.Accepted);
          await this.counters.flush();
          return { scan: toScanRecord(row), created: true };
        } catch (error) {
          if (!isDuplicateKey(error) || input.idempotencyKey === undefined)
            throw error;
          const existing = await this.scans
            .findOne(
              { idempotencyKey: input.idempotencyKey },
              { ...SCAN_FIELDS, _id: 1 },
            )
            .lean<ScanRow & { _id: Types.ObjectId }>();
          if (!existing) throw error;
          if (existing.status === ScanStatus.Accepted)
            await this.setup.enqueue(existing);
          return { scan: toScanRecord(existing), created: false };
        }
      }),
    );
  }
}
