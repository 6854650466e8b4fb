import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';

const WARN_EVERY_MS = 60_000;

// B-3: the jti of every accepted token, each remembered until its token can no longer be
// accepted, so that a token is used once. Only tokens whose signature verified get here, so a
// client without the secret cannot fill it. It is bounded by `max`: past it the oldest entry is
// forgotten first (an expired one if any is left, else the live token nearest its expiry), and a
// replay of a token forgotten while still live would pass. That is logged as a warning; size
// `max` for the peak token rate times the lifetime.
export class JwtReplayCache {
  private readonly logger = new Logger(JwtReplayCache.name);
  private readonly seen: LRUCache<string, number>;
  private liveEvictions = 0;
  private warnedAt = -Infinity;

  // clock: epoch milliseconds; tests pass their own.
  constructor(
    max: number,
    private readonly clock: { now(): number } = Date,
  ) {
    this.seen = new LRUCache<string, number>({
      max,
      perf: clock,
      // Read the clock on every check: no cached "now" that lags behind a token's expiry.
      ttlResolution: 0,
      // Expired entries are dropped when met or when the cap needs room, not by a timer each.
      ttlAutopurge: false,
      dispose: (forgetAt, _jti, reason) => {
        if (reason === 'evict' && forgetAt > this.clock.now())
          this.liveEvicted();
      },
    });
  }

  get size(): number {
    return this.seen.size;
  }

  // True the first time jti is met; false for a replay. forgetAtMs: when its token can no
  // longer be accepted, so the entry need not outlive it.
  firstUse(jti: string, forgetAtMs: number): boolean {
    if (this.seen.has(jti)) return false;
    const ttl = Math.max(1, Math.ceil(forgetAtMs - this.clock.now()));
    this.seen.set(jti, forgetAtMs, { ttl });
    return true;
  }

  private liveEvicted(): void {
    this.liveEvictions++;
    const now = this.clock.now();
    if (now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.logger.warn(
      { forgotten: this.liveEvictions },
      'JWT replay memory is full: ids of live tokens are being forgotten; raise JWT_REPLAY_MAX',
    );
    this.liveEvictions = 0;
  }
}
