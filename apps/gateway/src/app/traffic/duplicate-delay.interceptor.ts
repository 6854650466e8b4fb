import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ProblemException } from '@gatehouse/shared/http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import type { RequestContext } from '../proxy/request-context';
import { GATEWAY_STORE, GatewayStore } from './gateway.store';
import { preciseSleep } from './precise-sleep';
import { requestFingerprint } from './request-fingerprint';

// G-3: an exact replay of the client's previous request is held for DUPLICATE_DELAY_MS, then forwarded.
@Injectable()
export class DuplicateDelayInterceptor {
  private readonly logger = new Logger(DuplicateDelayInterceptor.name);
  private held = 0;

  constructor(
    @Inject(GATEWAY_STORE) private readonly store: GatewayStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  get heldNow(): number {
    return this.held;
  }

  async apply(context: RequestContext): Promise<void> {
    // A body too large to fingerprint still counts as "a request in between", so it gets a unique print.
    const fingerprint = context.bodyComplete
      ? requestFingerprint(context.req, context.body)
      : randomUUID();
    let previous: string | null;
    try {
      previous = await this.store.swapLastRequest(context.client, fingerprint);
    } catch (error) {
      // Fail open: a store outage must not stop traffic.
      this.logger.warn(
        { err: error, requestId: context.requestId },
        'duplicate check skipped: store unavailable',
      );
      return;
    }
    if (previous !== fingerprint || this.config.DUPLICATE_DELAY_MS === 0)
      return;
    if (this.held >= this.config.MAX_HELD) {
      throw new ProblemException({
        status: 429,
        title: 'Too Many Requests',
        type: 'duplicate-hold-full',
        detail: 'Too many repeated requests are being held; retry later.',
        headers: {
          'retry-after': String(
            Math.ceil(this.config.DUPLICATE_DELAY_MS / 1000),
          ),
        },
      });
    }
    context.decision = 'delayed';
    this.held++;
    try {
      context.delayMs = Math.round(
        await preciseSleep(this.config.DUPLICATE_DELAY_MS),
      );
    } finally {
      this.held--;
    }
  }
}
