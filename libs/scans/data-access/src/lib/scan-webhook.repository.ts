import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ScanView } from '@gatehouse/shared/contracts';
import type { Model, Types } from 'mongoose';
import { attemptKey } from './attempt-log';
import { insertIfAbsent, updateGuarded } from './guarded-update';
import { DeliveryOutcome, ScanAttempt } from './scan-attempt.schema';
import { SCAN_FIELDS, ScanRow, toScanRecord } from './scan-record';
import { ScanStoreSetup } from './scan-store.setup';
import { deliveryKey, ScanWebhook } from './scan-webhook.schema';
import { Scan } from './scan.schema';
import { guardStore } from './store-guard';
import { toScanView } from './to-scan-view';

// One try at delivering one ended scan, claimed by the worker that makes it.
export interface ClaimedDelivery {
  // The outbox key, `<scanId>:<endSeq>`: the `webhook-id`, the same on every try.
  id: string;
  scanId: string;
  endSeq: number;
  url: string;
  // This try, from 1.
  attempt: number;
  // The scan as GET /scans/<id> shows it, as of the end this delivery follows.
  payload: ScanView;
}

export interface DeliveryResult {
  delivered: boolean;
  // What the callback answered; null when it did not answer.
  httpStatus: number | null;
  error?: string;
  // No later try can succeed (the callback is out of scope): the delivery ends here.
  permanent?: boolean;
}

export interface DeliveryPolicy {
  maxAttempts: number;
  // How long a try may take before another worker counts it as lost.
  leaseMs: number;
  // The wait before try `attempt + 1` after try `attempt` failed.
  retryDelayMs: (attempt: number) => number;
}

interface OutboxRow {
  _id: string;
  scanId: string;
  endSeq: number;
  viewId?: Types.ObjectId | null;
  url: string;
  attempts: number;
  nextAttemptAt: Date;
}

// S-19: the webhook outbox (ADR 0012). A scan's end puts its delivery here before the scan
// leaves open work; each try is claimed by inserting its `delivery` entry in the scan's attempt
// log, so one worker makes it, and the outcome is written to that entry, which is also what
// the scan's history shows. A worker killed mid-try leaves an entry with no outcome: once its
// lease is over, the next poll counts the try as failed and moves on, so a delivery is made at
// least once, never lost.
@Injectable()
export class ScanWebhookRepository {
  constructor(
    @InjectModel(Scan.name) private readonly scans: Model<Scan>,
    @InjectModel(ScanAttempt.name)
    private readonly entries: Model<ScanAttempt>,
    @InjectModel(ScanWebhook.name)
    private readonly webhooks: Model<ScanWebhook>,
    private readonly setup: ScanStoreSetup,
  ) {}

  // Claims up to `max` due tries. The outbox holds only undelivered webhooks, so this reads
  // open work, never history.
  async claimDue(
    workerId: string,
    max: number,
    policy: DeliveryPolicy,
    now = new Date(),
  ): Promise<ClaimedDelivery[]> {
    return guardStore(async () => {
      await this.setup.ensureIndexes();
      const due = await this.webhooks
        .find({ nextAttemptAt: { $lte: now } })
        .limit(max * 4)
        .lean<OutboxRow[]>();
      const claimed: ClaimedDelivery[] = [];
      for (const row of due) {
        if (claimed.length >= max) break;
        const attempt = row.attempts + 1;
        if (attempt > policy.maxAttempts) {
          await this.webhooks.deleteOne({ _id: row._id });
          continue;
        }
        const entry: ScanAttempt = {
          _id: deliveryKey(row.scanId, row.endSeq, attempt),
          scanId: row.scanId,
          seq: row.endSeq,
          kind: 'delivery',
          attempt,
          workerId,
          at: now,
          leaseUntil: new Date(now.getTime() + policy.leaseMs),
        };
        if (await insertIfAbsent(this.entries, entry)) {
          const payload = await this.payloadOf(row);
          if (payload)
            claimed.push({ ...this.identity(row), attempt, payload });
          else await this.webhooks.deleteOne({ _id: row._id });
          continue;
        }
        await this.recover(row, attempt, policy, now);
      }
      return claimed;
    });
  }

  // Writes the outcome of a try to its entry, then moves the outbox on: gone once delivered or
  // out of tries, else due again after the back-off.
  async record(
    delivery: Pick<ClaimedDelivery, 'id' | 'scanId' | 'endSeq' | 'attempt'>,
    workerId: string,
    result: DeliveryResult,
    policy: DeliveryPolicy,
    now = new Date(),
  ): Promise<{ retryAt: Date | null }> {
    return guardStore(async () => {
      const retryAt = this.retryAt(delivery.attempt, result, policy, now);
      await updateGuarded(
        this.entries,
        deliveryKey(delivery.scanId, delivery.endSeq, delivery.attempt),
        { kind: 'delivery', workerId },
        {
          $set: {
            outcome: (result.delivered
              ? 'delivered'
              : 'failed') as DeliveryOutcome,
            ...(result.httpStatus !== null
              ? { httpStatus: result.httpStatus }
              : {}),
            ...(result.error ? { error: result.error } : {}),
            ...(retryAt ? { nextAttemptAt: retryAt } : {}),
          },
          $unset: { leaseUntil: 1 },
        },
      );
      await this.advance(delivery.id, delivery.attempt, retryAt);
      return { retryAt };
    });
  }

  // The try was claimed before: by a worker that recorded its outcome but stopped before it
  // moved the outbox on, by one still making it, or by one that died making it.
  private async recover(
    row: OutboxRow,
    attempt: number,
    policy: DeliveryPolicy,
    now: Date,
  ): Promise<void> {
    const key = deliveryKey(row.scanId, row.endSeq, attempt);
    const entry = await this.entries.findOne({ _id: key }).lean<ScanAttempt>();
    if (!entry) return;
    if (entry.outcome) {
      const retryAt =
        entry.outcome === 'delivered' || attempt >= policy.maxAttempts
          ? null
          : (entry.nextAttemptAt ?? now);
      await this.advance(row._id, attempt, retryAt);
      return;
    }
    if (entry.leaseUntil && new Date(entry.leaseUntil) > now) return;
    const result: DeliveryResult = {
      delivered: false,
      httpStatus: null,
      error: 'no outcome recorded: the worker making this try stopped',
    };
    await this.record(
      { ...this.identity(row), attempt },
      entry.workerId,
      result,
      policy,
      now,
    );
  }

  private retryAt(
    attempt: number,
    result: DeliveryResult,
    policy: DeliveryPolicy,
    now: Date,
  ): Date | null {
    if (result.delivered || result.permanent || attempt >= policy.maxAttempts)
      return null;
    return new Date(now.getTime() + policy.retryDelayMs(attempt));
  }

  private async advance(
    id: string,
    attempt: number,
    retryAt: Date | null,
  ): Promise<void> {
    if (retryAt === null) await this.webhooks.deleteOne({ _id: id });
    else
      await this.webhooks.updateOne(
        { _id: id },
        { $set: { attempts: attempt, nextAttemptAt: retryAt } },
      );
  }

  private identity(row: OutboxRow) {
    return {
      id: row._id,
      scanId: row.scanId,
      endSeq: row.endSeq,
      url: row.url,
    };
  }

  // The scan's view, with the end this delivery follows laid over it: the view may already show
  // a later run of a retried scan, or (FerretDB) not yet show the end.
  private async payloadOf(row: OutboxRow): Promise<ScanView | null> {
    const [view, end] = await Promise.all([
      row.viewId
        ? this.scans.findOne({ _id: row.viewId }, SCAN_FIELDS).lean<ScanRow>()
        : this.scans
            .findOne({ scanId: row.scanId }, SCAN_FIELDS)
            .lean<ScanRow>(),
      this.entries
        .findOne({ _id: attemptKey(row.scanId, row.endSeq) })
        .lean<ScanAttempt>(),
    ]);
    if (!view || !end || end.kind !== 'end' || !end.status) return null;
    const scan = toScanView(toScanRecord(view));
    return {
      ...scan,
      status: end.status,
      attempts: end.attempt,
      workerId: end.workerId,
      leaseUntil: null,
      nextAttemptAt: null,
      finishedAt: new Date(end.at).toISOString(),
      error: end.error ?? null,
      result: end.result ?? null,
    };
  }
}
