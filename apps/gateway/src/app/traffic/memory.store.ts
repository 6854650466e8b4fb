import { LRUCache } from 'lru-cache';
import type { GatewayDecision } from '@gatehouse/shared/contracts';
import {
  DecisionCounts,
  emptyDecisionCounts,
  GatewayStore,
  PathCount,
  PathPage,
} from './gateway.store';
import { byCountThenPath } from './path-order';

export interface MemoryStoreOptions {
  maxClients: number;
  ttlMs: number;
  maxPaths: number;
}

// Bounded by an LRU with a TTL, so a flood of distinct clients cannot exhaust memory.
export class MemoryStore implements GatewayStore {
  readonly kind = 'memory';
  // Each client's entry is updated in place: one LRU lookup per request, not a get and a set.
  private readonly lastRequest: LRUCache<string, { fingerprint: string }>;
  // Bounded too: past maxPaths the least recently counted path is forgotten.
  private readonly pathCounts: LRUCache<string, number>;
  private readonly decisions = emptyDecisionCounts();
  // Sorting every path per stats read is costly, so the order is kept until counts change.
  private sorted: PathCount[] | null = null;

  constructor(options: MemoryStoreOptions) {
    this.lastRequest = new LRUCache({
      max: options.maxClients,
      ttl: options.ttlMs,
      ttlAutopurge: false,
      // A lookup is also the swap's write: it makes the entry the newest and restarts its TTL.
      updateAgeOnGet: true,
    });
    this.pathCounts = new LRUCache({ max: options.maxPaths });
  }

  swapLastRequest(client: string, fingerprint: string): Promise<string | null> {
    return Promise.resolve(this.swapLastRequestNow(client, fingerprint));
  }

  swapLastRequestNow(client: string, fingerprint: string): string | null {
    // Synchronous get-then-set: nothing can interleave on one event loop.
    const entry = this.lastRequest.get(client);
    if (entry === undefined) {
      this.lastRequest.set(client, { fingerprint });
      return null;
    }
    const previous = entry.fingerprint;
    entry.fingerprint = fingerprint;
    return previous;
  }

  addTraffic(
    decisions: Readonly<DecisionCounts>,
    paths: ReadonlyMap<string, number>,
  ): Promise<void> {
    for (const decision in decisions) {
      const key = decision as GatewayDecision;
      this.decisions[key] += decisions[key];
    }
    for (const [path, count] of paths)
      this.pathCounts.set(path, (this.pathCounts.get(path) ?? 0) + count);
    if (paths.size > 0) this.sorted = null;
    return Promise.resolve();
  }

  decisionCounts(): Promise<DecisionCounts> {
    return Promise.resolve({ ...this.decisions });
  }

  topPaths(offset: number, limit: number): Promise<PathPage> {
    if (this.sorted === null) {
      const all: PathCount[] = [];
      for (const [path, count] of this.pathCounts.entries())
        all.push({ path, count });
      this.sorted = all.sort(byCountThenPath);
    }
    return Promise.resolve({
      total: this.sorted.length,
      paths: this.sorted.slice(offset, offset + limit),
    });
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  get size(): number {
    return this.lastRequest.size;
  }

  close(): Promise<void> {
    this.lastRequest.clear();
    this.pathCounts.clear();
    return Promise.resolve();
  }
}
