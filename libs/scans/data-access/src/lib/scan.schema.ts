import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import {
  SCAN_KINDS,
  ScanKind,
  ScanResult,
  ScanStatus,
  SCAN_STATUSES,
} from '@gatehouse/shared/contracts';
import { Schema as MongooseSchema } from 'mongoose';
import type { HydratedDocument } from 'mongoose';

// The scan document is the queryable view of a scan (S-2). The truth about who holds which
// attempt, and how the scan ended, is the append-only scan_attempts log (docs/adr/0002).
@Schema({ collection: 'scans', timestamps: true, versionKey: false })
export class Scan {
  @Prop({ type: String, required: true })
  scanId!: string;

  @Prop({
    type: String,
    required: true,
    enum: SCAN_STATUSES,
    default: ScanStatus.Accepted,
  })
  status!: ScanStatus;

  // S-4: the job that runs it. Scans stored before kinds existed read as `simulated`.
  @Prop({ type: String, enum: SCAN_KINDS, default: 'simulated' })
  kind!: ScanKind;

  @Prop({ type: String, default: null })
  target!: string | null;

  // Left out when absent (never null), so the sparse unique index ignores scans without one.
  @Prop({ type: String })
  idempotencyKey?: string;

  // Number of the latest attempt; 0 until the first claim.
  @Prop({ type: Number, required: true, default: 0 })
  attempts!: number;

  @Prop({ type: Date, default: null })
  startedAt!: Date | null;

  @Prop({ type: Date, default: null })
  finishedAt!: Date | null;

  @Prop({ type: String, default: null })
  error!: string | null;

  @Prop({ type: String, default: null })
  workerId!: string | null;

  @Prop({ type: Date, default: null })
  leaseUntil!: Date | null;

  // S-16: when a retried scan's next attempt is due; null otherwise.
  @Prop({ type: Date, default: null })
  nextAttemptAt!: Date | null;

  // S-19: where the scan is posted, signed, once it ends; null for none.
  @Prop({ type: String, default: null })
  callbackUrl!: string | null;

  // S-17: when a cancel of the running attempt was asked for; null otherwise.
  @Prop({ type: Date, default: null })
  cancelRequestedAt!: Date | null;

  // S-14: what the job found (summary, findings, tls, http), also when it failed part-way.
  @Prop({ type: MongooseSchema.Types.Mixed, default: null })
  result!: ScanResult | null;

  createdAt!: Date;
  updatedAt!: Date;
}

export type ScanDocument = HydratedDocument<Scan>;

export const ScanSchema = SchemaFactory.createForClass(Scan);

ScanSchema.index({ scanId: 1 }, { unique: true });
// Sparse, not partial: FerretDB 1.x has no partial indexes; sparse is accepted and honoured there.
ScanSchema.index({ idempotencyKey: 1 }, { unique: true, sparse: true });
// Poll (status = Accepted, oldest first, read backwards) and list by status, newest first.
ScanSchema.index({ status: 1, createdAt: -1, scanId: -1 });
// Expired leases: status = Running and leaseUntil < now.
ScanSchema.index({ status: 1, leaseUntil: 1 });
// S-18: the list filtered by a target prefix (an index range), newest first within it.
ScanSchema.index({ target: 1, createdAt: -1, scanId: -1 });
// Unfiltered list, newest first, with scanId as the tie-breaker the cursor needs.
ScanSchema.index({ createdAt: -1, scanId: -1 });
