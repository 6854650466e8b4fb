import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ProblemException } from '@gatehouse/shared/http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import type { RequestContext } from '../request/request-context';
import { GATEWAY_STORE, GatewayStore } from './gateway.store';
import { preciseSleep } from './precise-sleep';
import { requestFingerprint } from './request-fingerprint';

// G-3: an exact replay of the client's previous request is held for DUPLICATE_DELAY_MS, then forwarded.
@Injectable()
export class DuplicateDelay {
  private held = 0;

  constructor(
    @Inject(GATEWAY_STORE) private readonly store: GatewayStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  get heldNow(): number {
    return this.held;
  }

  // Records the request as the client's latest and says whether it replays the one before.
  // Every request that gets this far counts, blocked ones too: they are "a request in between".
  // A store that swaps in the process answers at once, without a promise.
  observe(context: RequestContext): boolean | Promise<boolean> {
    // A body too large to fingerprint still counts as "a request in between", so it gets a unique print.
    const fingerprint = context.bodyComplete
      ? requestFingerprint(context.req, context.body, context.headerNames)
      : randomUUID();
    const store = this.store;
    try {
      if (store.swapLastRequestNow !== undefined)
        return (
          store.swapLastRequestNow(context.client, fingerprint) === fingerprint
        );
      return store
        .swapLastRequest(context.client, fingerprint)
        .then((previous) => previous === fingerprint, failOpen);
    } catch {
      return false;
    }
  }

  // Holds a replay for DUPLICATE_DELAY_MS (never longer than maxMs), or rejects it when the
  // hold is full. A held request takes no upstream slot (G-6).
  async hold(context: RequestContext, maxMs = Infinity): Promise<void> {
    const delayMs = Math.min(this.config.DUPLICATE_DELAY_MS, maxMs);
    if (delayMs <= 0) return;
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
      context.delayMs = Math.round(await preciseSleep(delayMs));
    } finally {
      this.held--;
    }
  }
}

// Fail open: a store outage must not stop traffic. The store logs the outage once, not once
// per request.
function failOpen(): boolean {
  return false;
}
