import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import {
  ClaimedDelivery,
  DeliveryPolicy,
  isStoreUnavailable,
  ScanWebhookRepository,
} from '@gatehouse/scans/data-access';
import { ScanScope, systemResolver } from '@gatehouse/scans/target-scope';
import { InjectPinoLogger, PinoLogger } from '@gatehouse/shared/logging';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import { PROCESSOR_CONFIG, ProcessorConfig } from '../processor.config';
import { retryDelayMs } from '../retry-backoff';
import { TIMED_OUT, untilDeadline } from '../until-deadline';
import { sendWebhook, WebhookSenderOptions } from './webhook-sender';
import { WakeableSleep } from '../wakeable-sleep';

// Deliveries one processor makes at once.
const BATCH = 8;

// S-19: polls the webhook outbox, makes each due try and records how it went. Deliveries live in
// the database, so a processor killed mid-try leaves the try for another to count and repeat.
@Injectable()
export class WebhookDispatcherService
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}:webhooks`;

  private readonly policy: DeliveryPolicy;
  private readonly sender: WebhookSenderOptions;
  private readonly stop = new AbortController();
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly pauses = new WakeableSleep();
  private readonly deliveries = new Counter({
    name: 'scan_webhook_deliveries_total',
    help: 'Tries at delivering scan webhooks (S-19)',
    labelNames: ['outcome'] as const,
  });

  constructor(
    private readonly webhooks: ScanWebhookRepository,
    @Inject(PROCESSOR_CONFIG) private readonly config: ProcessorConfig,
    @InjectPinoLogger(WebhookDispatcherService.name)
    private readonly logger: PinoLogger,
  ) {
    this.policy = {
      maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
      // A try may take the whole timeout; past twice that, it is counted as lost.
      leaseMs: config.WEBHOOK_TIMEOUT_MS * 2 + 1_000,
      retryDelayMs: (attempt) =>
        retryDelayMs(attempt, {
          baseMs: config.WEBHOOK_RETRY_BASE_MS,
          maxMs: config.WEBHOOK_RETRY_MAX_MS,
        }),
    };
    this.sender = {
      scope: ScanScope.fromLists(config.SCAN_ALLOW, config.SCAN_DENY),
      resolve: systemResolver(config.SCAN_RESOLVE),
      secret: config.WEBHOOK_SECRET,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    };
  }

  onApplicationBootstrap(): void {
    if (!this.config.WEBHOOK_SECRET)
      // Not a warning: most suites post no webhooks. A scan that asks for one gets a failed try
      // that says why, logged as a warning then.
      this.logger.info(
        { event: 'webhooks.unsigned' },
        'WEBHOOK_SECRET is not set: scan webhooks are not sent, and each try says why',
      );
    this.loop = this.pollLoop();
  }

  // S-8: stop polling; tries in flight get the grace period to finish, then are cut off and
  // recorded as failed, so they are made again.
  async beforeApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + this.config.SHUTDOWN_GRACE_MS;
    this.stopping = true;
    this.pauses.wake();
    if ((await untilDeadline(this.loop, deadline - 500)) === TIMED_OUT) {
      this.stop.abort();
      await untilDeadline(this.loop, deadline);
    }
  }

  private async pollLoop(): Promise<void> {
    let idleMs = this.config.POLL_MIN_MS;
    while (!this.stopping) {
      let due: ClaimedDelivery[] = [];
      try {
        due = await this.webhooks.claimDue(this.workerId, BATCH, this.policy);
      } catch (error) {
        if (!isStoreUnavailable(error))
          this.logger.warn(
            { err: error, workerId: this.workerId },
            'webhook poll failed; backing off',
          );
      }
      if (due.length > 0) {
        idleMs = this.config.POLL_MIN_MS;
        await Promise.all(due.map((delivery) => this.deliver(delivery)));
        continue;
      }
      await this.pauses.sleep(idleMs);
      idleMs = Math.min(idleMs * 2, this.config.POLL_MAX_MS);
    }
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const result = await sendWebhook(delivery, this.sender, this.stop.signal);
    this.deliveries.inc({ outcome: result.delivered ? 'delivered' : 'failed' });
    let retryAt: Date | null = null;
    try {
      ({ retryAt } = await this.webhooks.record(
        delivery,
        this.workerId,
        result,
        this.policy,
      ));
    } catch (error) {
      // The try stays claimed with no outcome; once its lease is over, a poll counts it failed.
      this.logger.warn(
        { err: error, scanId: delivery.scanId, webhookId: delivery.id },
        'recording a webhook delivery failed',
      );
      return;
    }
    const fields = {
      event: result.delivered
        ? 'scan.webhook.delivered'
        : 'scan.webhook.failed',
      scanId: delivery.scanId,
      webhookId: delivery.id,
      attempt: delivery.attempt,
      url: redactUrl(delivery.url),
      httpStatus: result.httpStatus,
      ...(result.error ? { error: result.error } : {}),
      ...(!result.delivered
        ? { nextAttemptAt: retryAt ? retryAt.toISOString() : null }
        : {}),
    };
    if (result.delivered) this.logger.info(fields, 'scan webhook delivered');
    else
      this.logger.warn(
        fields,
        retryAt
          ? 'scan webhook failed; trying again later'
          : 'scan webhook failed; giving up',
      );
  }
}

// A callback URL may carry a token in its query: logs show its origin and path only.
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
  } catch {
    return '(invalid)';
  }
}
