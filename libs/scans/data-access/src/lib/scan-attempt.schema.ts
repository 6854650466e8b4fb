import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ScanResult, ScanStatus } from '@gatehouse/shared/contracts';
import { Schema as MongooseSchema } from 'mongoose';
import type { HydratedDocument } from 'mongoose';

// claim, end: ADR 0002. retry (S-17): a finished scan queued again; it takes a seq like the
// others, so exactly one of a retry and anything else decides what follows an end. cancel
// (S-17): asks the worker holding a live claim to stop; keyed `<scanId>:<seq>:cancel` beside the
// claim it names, so it never takes a seq. delivery (S-19): one try at posting the scan to its
// callbackUrl after the end at `seq`, keyed `<scanId>:<seq>:delivery:<try>` (ADR 0012).
export type ScanAttemptKind = 'claim' | 'end' | 'cancel' | 'retry' | 'delivery';

// One entry of a scan's append-only history, keyed `<scanId>:<seq>`. Inserting under a unique
// _id is the one write that is atomic on MongoDB and on FerretDB 1.x alike, so whoever inserts
// seq n decides what happens n-th: a claim of attempt n, or the end of attempt n-1 (ADR 0002).
@Schema({ collection: 'scan_attempts', versionKey: false })
export class ScanAttempt {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  scanId!: string;

  @Prop({ type: Number, required: true })
  seq!: number;

  @Prop({
    type: String,
    required: true,
    enum: ['claim', 'end', 'cancel', 'retry', 'delivery'],
  })
  kind!: ScanAttemptKind;

  // For a claim, the attempt it starts; for an end, the attempt it ends (its claim is at seq - 1);
  // for a cancel, the attempt it stops; for a retry, the last attempt before it. Equal to the
  // claim's seq until a scan is retried: a retry takes a seq but starts no attempt.
  @Prop({ type: Number, required: true })
  attempt!: number;

  // Claims only, when not 1: the first attempt of this run (the one after the latest retry),
  // from which MAX_ATTEMPTS counts.
  @Prop({ type: Number })
  runFrom?: number;

  @Prop({ type: String, required: true })
  workerId!: string;

  @Prop({ type: Date, required: true })
  at!: Date;

  // Claims and deliveries. Written by the claiming worker alone, so FerretDB's read-then-write-back update
  // cannot lose a concurrent write here.
  @Prop({ type: Date })
  leaseUntil?: Date;

  // Claims only: the worker gave the scan back (shutdown); it does not count as a failed attempt.
  @Prop({ type: Boolean })
  released?: boolean;

  // S-16: how the attempt failed, transient (retried) or permanent. On a claim given back for
  // a retry, with the error and when the next attempt is due; on a Failed end, its class.
  @Prop({ type: String, enum: ['transient', 'permanent'] })
  errorClass?: 'transient' | 'permanent';

  @Prop({ type: Date })
  nextAttemptAt?: Date;

  // Ends only.
  @Prop({
    type: String,
    enum: [ScanStatus.Complete, ScanStatus.Failed, ScanStatus.Cancelled],
  })
  status?: ScanStatus.Complete | ScanStatus.Failed | ScanStatus.Cancelled;

  @Prop({ type: String })
  error?: string;

  // Ends only: what the job found (S-14), also when it failed part-way.
  @Prop({ type: MongooseSchema.Types.Mixed })
  result?: ScanResult;

  // Deliveries only (S-19): how the try went, once it is over, and what the callback answered.
  @Prop({ type: String, enum: ['delivered', 'failed'] })
  outcome?: DeliveryOutcome;

  @Prop({ type: Number })
  httpStatus?: number;
}

export type DeliveryOutcome = 'delivered' | 'failed';

export type ScanAttemptDocument = HydratedDocument<ScanAttempt>;

export const ScanAttemptSchema = SchemaFactory.createForClass(ScanAttempt);

// A scan's history in order, and its latest entry.
ScanAttemptSchema.index({ scanId: 1, seq: -1 });
