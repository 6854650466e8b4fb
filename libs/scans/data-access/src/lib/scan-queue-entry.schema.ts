import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { ScanKind } from '@gatehouse/shared/contracts';
import { Types } from 'mongoose';

// Open work, part 1 (S-13): one entry per Accepted scan waiting to be claimed. Running scans are
// in `scan_leases`; a scan is in neither once its end is in the attempt log. Keyed by scanId,
// because FerretDB 1.x pushes only filters of exactly {_id: value} down to SQLite, and read
// with an empty filter, whose limit it does push down (docs/adr/0006-open-work-queue.md).
@Schema({ collection: 'scan_queue', versionKey: false })
export class ScanQueueEntry {
  // The scanId.
  @Prop({ type: String, required: true })
  _id!: string;

  // The _id of the scan's document in `scans`, so that projections address it by _id alone.
  @Prop({ type: Types.ObjectId, required: true })
  viewId!: Types.ObjectId;

  @Prop({ type: String, default: null })
  target!: string | null;

  // Absent on entries written before kinds existed: those are simulated scans.
  @Prop({ type: String })
  kind?: ScanKind;

  // S-19: where the scan is posted when it ends; absent for none.
  @Prop({ type: String })
  callbackUrl?: string | null;

  // The latest attempt number known here: 0 for a new scan, n after attempt n was released.
  @Prop({ type: Number, required: true, default: 0 })
  attempts!: number;

  // S-16: a retry waits until then; polls take only due work.
  @Prop({ type: Date })
  nextAttemptAt?: Date;

  // The scan's createdAt: waiting work is taken oldest first.
  @Prop({ type: Date, required: true })
  createdAt!: Date;
}

export const ScanQueueEntrySchema =
  SchemaFactory.createForClass(ScanQueueEntry);

ScanQueueEntrySchema.index({ createdAt: 1 });
