import { LRUCache } from 'lru-cache';
import type { GatewayStore } from './gateway.store';

export interface MemoryStoreOptions {
  maxClients: number;
  ttlMs: number;
}

// Bounded by an LRU with a TTL, so a flood of distinct clients cannot exhaust memory.
export class MemoryStore implements GatewayStore {
  private readonly lastRequest: LRUCache<string, string>;

  constructor(options: MemoryStoreOptions) {
    this.lastRequest = new LRUCache({
      max: options.maxClients,
      ttl: options.ttlMs,
      ttlAutopurge: false,
    });
  }

  swapLastRequest(client: string, fingerprint: string): Promise<string | null> {
    // Synchronous get-then-set: nothing can interleave on one event loop.
    const previous = this.lastRequest.get(client) ?? null;
    this.lastRequest.set(client, fingerprint);
    return Promise.resolve(previous);
  }

  get size(): number {
    return this.lastRequest.size;
  }

  close(): Promise<void> {
    this.lastRequest.clear();
    return Promise.resolve();
  }
}
