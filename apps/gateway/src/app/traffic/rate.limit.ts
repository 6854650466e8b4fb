import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ProblemException } from '@gatehouse/shared/http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';

const THROTTLER_NAME = 'client';

// G-6: at most RATE_LIMIT requests per client per window; the throttler storage is
// shared through Redis when the store is. Called from the proxy pipeline directly,
// since proxied requests never pass Nest's router and its ThrottlerGuard.
@Injectable()
export class RateLimit {
  readonly enabled: boolean;

  constructor(
    @Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.enabled = config.RATE_LIMIT > 0;
  }

  async check(client: string): Promise<void> {
    const window = this.config.RATE_LIMIT_WINDOW_MS;
    let record;
    try {
      record = await this.storage.increment(
        `rl:${client}`,
        window,
        this.config.RATE_LIMIT,
        window,
        THROTTLER_NAME,
      );
    } catch {
      // Fail open: the store reports its outage once, and traffic keeps flowing.
      return;
    }
    if (!record.isBlocked) return;
    throw new ProblemException({
      status: 429,
      title: 'Too Many Requests',
      type: 'rate-limited',
      detail: `At most ${this.config.RATE_LIMIT} requests per ${window} ms are accepted from one client.`,
      headers: { 'retry-after': String(Math.max(1, record.timeToBlockExpire)) },
    });
  }
}
