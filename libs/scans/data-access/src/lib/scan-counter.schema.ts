import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

// S-11: the per-status counters behind GET /scans/summary. One document per writing process
// (`w:<writer>`), holding the changes that process made, plus `base`, the last recount.
// A document has one writer only, so FerretDB's read-then-write updates cannot lose an
// increment; the summary is the sum of a handful of documents, whatever the history holds.
@Schema({ collection: 'scan_counters', versionKey: false })
export class ScanCounter {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: Number, default: 0 })
  Accepted!: number;

  @Prop({ type: Number, default: 0 })
  Running!: number;

  @Prop({ type: Number, default: 0 })
  Complete!: number;

  @Prop({ type: Number, default: 0 })
  Failed!: number;

  @Prop({ type: Number, default: 0 })
  Cancelled!: number;

  @Prop({ type: Date })
  updatedAt?: Date;
}

export const ScanCounterSchema = SchemaFactory.createForClass(ScanCounter);
