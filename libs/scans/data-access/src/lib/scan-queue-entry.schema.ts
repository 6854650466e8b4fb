import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ScanStatus } from '@gatehouse/shared/contracts';
import { Types } from 'mongoose';

export type OpenScanStatus = ScanStatus.Accepted | ScanStatus.Running;

// Open work (S-13): one entry per scan that is Accepted, or Running under a lease. A scan leaves
// the queue once its end is in the attempt log, so polls, claims and reclaims cost O(open work)
// however many scans `scans` holds. Keyed by scanId, because FerretDB 1.x pushes only filters of
// exactly {_id: value} down to SQLite (docs/adr/0004-open-work-queue.md).
@Schema({ collection: 'scan_queue', versionKey: false })
export class ScanQueueEntry {
  // The scanId.
  @Prop({ type: String, required: true })
  _id!: string;

  // The _id of the scan's document in `scans`, so that projections address it by _id alone.
  @Prop({ type: Types.ObjectId, required: true })
  viewId!: Types.ObjectId;

  @Prop({
    type: String,
    required: true,
    enum: [ScanStatus.Accepted, ScanStatus.Running],
  })
  status!: OpenScanStatus;

  @Prop({ type: String, default: null })
  target!: string | null;

  // The latest attempt number projected here; the attempt log may be ahead of it, never behind.
  @Prop({ type: Number, required: true, default: 0 })
  attempts!: number;

  // The scan's createdAt: Accepted work is taken oldest first.
  @Prop({ type: Date, required: true })
  createdAt!: Date;

  @Prop({ type: String, default: null })
  workerId!: string | null;

  @Prop({ type: Date, default: null })
  leaseUntil!: Date | null;
}

export const ScanQueueEntrySchema =
  SchemaFactory.createForClass(ScanQueueEntry);

// The poll: Accepted, oldest first.
ScanQueueEntrySchema.index({ status: 1, createdAt: 1 });
// The reclaim query of every poll: Running with leaseUntil < now, longest expired first.
ScanQueueEntrySchema.index({ status: 1, leaseUntil: 1 });
