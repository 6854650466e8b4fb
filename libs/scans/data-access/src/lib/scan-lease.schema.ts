import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { ScanKind } from '@gatehouse/shared/contracts';
import { Types } from 'mongoose';

// Open work, part 2 (S-6, S-13): one entry per Running scan, with the lease of its latest claim
// as projected by the claim's owner. Every poll reads the expired ones first, so recovery never
// waits behind the Accepted backlog in `scan_queue`; on FerretDB that read costs O(running).
@Schema({ collection: 'scan_leases', versionKey: false })
export class ScanLease {
  // The scanId.
  @Prop({ type: String, required: true })
  _id!: string;

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

  // The attempt the lease belongs to; the attempt log may be ahead of it, never behind.
  @Prop({ type: Number, required: true })
  attempts!: number;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  @Prop({ type: String, default: null })
  workerId!: string | null;

  @Prop({ type: Date, required: true })
  leaseUntil!: Date;
}

export const ScanLeaseSchema = SchemaFactory.createForClass(ScanLease);

ScanLeaseSchema.index({ leaseUntil: 1 });
