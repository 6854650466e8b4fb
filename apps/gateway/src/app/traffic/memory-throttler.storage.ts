import type { ThrottlerStorage } from '@nestjs/throttler';
import { LRUCache } from 'lru-cache';

type ThrottlerStorageRecord = Awaited<
  ReturnType<ThrottlerStorage['increment']>
>;

interface Window {
  hits: number;
  expiresAt: number;
  blockedUntil: number;
}

// G-5: the throttler's own in-memory storage grows with every client until its
// minute sweep; this one is an LRU, so a flood of distinct clients stays bounded.
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly windows: LRUCache<string, Window>;

  constructor(maxClients: number) {
    this.windows = new LRUCache({ max: maxClients });
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (window === undefined) {
      window = { hits: 0, expiresAt: now + ttl, blockedUntil: 0 };
      this.windows.set(key, window);
    } else if (window.expiresAt <= now) {
      window.hits = 0;
      window.expiresAt = now + ttl;
    }
    window.hits++;
    let blocked = window.blockedUntil > now;
    if (!blocked && window.hits > limit) {
      window.blockedUntil = now + blockDuration;
      blocked = true;
    }
    return Promise.resolve({
      totalHits: window.hits,
      timeToExpire: Math.ceil((window.expiresAt - now) / 1000),
      isBlocked: blocked,
      timeToBlockExpire: blocked
        ? Math.ceil((window.blockedUntil - now) / 1000)
        : 0,
    });
  }
}
