import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema, Types } from 'mongoose';

// S-19: the delivery of one ended scan to its callbackUrl, keyed `<scanId>:<seq of the end>`,
// which is also its `webhook-id`. Open work like scan_queue: written before the scan leaves
// open work, deleted once delivered or out of attempts; each try is a `delivery` entry in the
// scan's attempt log, which is what claims it (ADR 0012).
@Schema({ collection: 'scan_webhooks', versionKey: false })
export class ScanWebhook {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  scanId!: string;

  @Prop({ type: Number, required: true })
  endSeq!: number;

  // The scan's view, when known, so that the payload is read by _id.
  @Prop({ type: MongooseSchema.Types.ObjectId })
  viewId?: Types.ObjectId | null;

  @Prop({ type: String, required: true })
  url!: string;

  // Tries made so far; the next is attempts + 1.
  @Prop({ type: Number, required: true, default: 0 })
  attempts!: number;

  @Prop({ type: Date, required: true })
  nextAttemptAt!: Date;

  @Prop({ type: Date, required: true })
  createdAt!: Date;
}

export const ScanWebhookSchema = SchemaFactory.createForClass(ScanWebhook);

// Due deliveries, for the dispatcher's poll on MongoDB.
ScanWebhookSchema.index({ nextAttemptAt: 1 });

export function webhookKey(scanId: string, endSeq: number): string {
  return `${scanId}:${endSeq}`;
}

// The log entry of try `attempt` of the delivery after the end at `endSeq`.
export function deliveryKey(
  scanId: string,
  endSeq: number,
  attempt: number,
): string {
  return `${webhookKey(scanId, endSeq)}:delivery:${attempt}`;
}
