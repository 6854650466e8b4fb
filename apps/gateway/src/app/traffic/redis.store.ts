import { Logger } from '@nestjs/common';
import type { GatewayDecision } from '@gatehouse/shared/contracts';
import Redis from 'ioredis';
import {
  DecisionCounts,
  emptyDecisionCounts,
  GatewayStore,
  PathCount,
  PathPage,
} from './gateway.store';
import { OutageNotice } from './outage-notice';
import { byCountThenPath } from './path-order';

export interface RedisStoreOptions {
  url: URL;
  // Every key the store (and anything sharing its client) writes starts with it.
  prefix: string;
  duplicateTtlMs: number;
  commandTimeoutMs: number;
  // Distinct paths kept at most: past it the lowest counts are trimmed (G-10).
  maxPaths: number;
}

const COUNTS_KEY = 'counts';
const PATHS_KEY = 'paths';

// One page of the path ranking. ZREVRANGE orders equal counts by path descending,
// so the page's first and last count groups are re-read in ascending order by
// ZRANGEBYSCORE; groups in between are complete and only need a local sort.
const TOP_PATHS_SCRIPT = `
local key = KEYS[1]
local offset = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local total = redis.call('ZCARD', key)
local page = redis.call('ZREVRANGE', key, offset, offset + limit - 1, 'WITHSCORES')
if #page == 0 then return {total, {}} end
local hi = page[2]
local lo = page[#page]
local nHi, nLo = 0, 0
for i = 2, #page, 2 do
  if page[i] == hi then nHi = nHi + 1 end
  if page[i] == lo then nLo = nLo + 1 end
end
local above = redis.call('ZCOUNT', key, '(' .. hi, '+inf')
local out = redis.call('ZRANGEBYSCORE', key, hi, hi, 'WITHSCORES', 'LIMIT', offset - above, nHi)
if lo ~= hi then
  for i = 2 * nHi + 1, #page - 2 * nLo do out[#out + 1] = page[i] end
  local low = redis.call('ZRANGEBYSCORE', key, lo, lo, 'WITHSCORES', 'LIMIT', 0, nLo)
  for i = 1, #low do out[#out + 1] = low[i] end
end
return {total, out}
`;

// The swaps of one batch, in arrival order, in one atomic step: each returns the fingerprint it
// replaced (nil when there was none). The last argument is the TTL.
const SWAP_SCRIPT = `
local ttl = ARGV[#ARGV]
local previous = {}
for i = 1, #KEYS do
  previous[i] = redis.call('SET', KEYS[i], ARGV[i], 'PX', ttl, 'GET')
end
return previous
`;

// One flush's path counts: ZINCRBY per path, then the bound on distinct paths (a no-op while
// the set is within it; O(log N + trimmed) when it is not). ARGV: the bound, then count and path
// pairs. One command, not one per path: the client builds one command object per flush.
const ADD_PATHS_SCRIPT = `
local key = KEYS[1]
for i = 2, #ARGV - 1, 2 do
  redis.call('ZINCRBY', key, ARGV[i], ARGV[i + 1])
end
redis.call('ZREMRANGEBYRANK', key, 0, -(tonumber(ARGV[1]) + 1))
return #ARGV
`;

type ScriptedRedis = Redis & {
  swapLastRequests(...args: (string | number)[]): Promise<(string | null)[]>;
};

type ScriptedPipeline = ReturnType<Redis['pipeline']> & {
  addPaths(key: string, ...args: (string | number)[]): unknown;
};

interface PendingSwap {
  key: string;
  fingerprint: string;
  resolve: (previous: string | null) => void;
  reject: (error: unknown) => void;
}

// G-5: state shared by every replica. Only atomic operations: SET ... GET for the
// duplicate swap, HINCRBY and ZINCRBY (pipelined) for counters and statistics.
export class RedisStore implements GatewayStore {
  readonly kind = 'redis';
  readonly client: Redis;
  private readonly logger = new Logger(RedisStore.name);
  private readonly outage = new OutageNotice(this.logger, 'redis');
  private closing = false;
  // Swaps asked for in one turn of the event loop, sent together when it ends.
  private swaps: PendingSwap[] = [];

  constructor(private readonly options: RedisStoreOptions) {
    this.client = new Redis(options.url.toString(), {
      keyPrefix: options.prefix,
      // A dead Redis must fail a command at once, never queue it behind a request.
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(1_000, options.commandTimeoutMs),
      maxRetriesPerRequest: 0,
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    });
    // Sent by its digest (EVALSHA); ioredis loads the script when Redis does not know it.
    this.client.defineCommand('swapLastRequests', { lua: SWAP_SCRIPT });
    this.client.defineCommand('addPaths', {
      lua: ADD_PATHS_SCRIPT,
      numberOfKeys: 1,
    });
    this.client.on('error', (error: Error) => this.outage.failed(error));
    this.client.on('close', () => {
      if (!this.closing) this.outage.failed(new Error('connection closed'));
    });
    this.client.on('ready', () => this.outage.recovered());
  }

  // Waits for the first connection, but starts without it: the gateway fails open.
  async connected(timeoutMs: number): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      this.client.once('ready', done);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  // Requests that arrive in one turn of the event loop (many connections' reads) share one
  // command: one round trip and one command object instead of one each. Their order, and so
  // G-3's "in arrival order", is kept inside the script, which Redis runs atomically.
  swapLastRequest(client: string, fingerprint: string): Promise<string | null> {
    return new Promise((resolve, reject) => {
      const swap = { key: `dup:${client}`, fingerprint, resolve, reject };
      if (this.swaps.push(swap) === 1) setImmediate(this.sendSwaps);
    });
  }

  private readonly sendSwaps = (): void => {
    const swaps = this.swaps;
    this.swaps = [];
    const ttl = this.options.duplicateTtlMs;
    const sent: Promise<(string | null)[]> =
      swaps.length === 1
        ? this.client
            .set(swaps[0].key, swaps[0].fingerprint, 'PX', ttl, 'GET')
            .then((previous) => [previous])
        : (this.client as ScriptedRedis).swapLastRequests(
            swaps.length,
            ...swaps.map((swap) => swap.key),
            ...swaps.map((swap) => swap.fingerprint),
            ttl,
          );
    sent.then(
      (previous) => {
        for (let i = 0; i < swaps.length; i++)
          swaps[i].resolve(previous[i] ?? null);
      },
      (error: unknown) => {
        this.outage.failed(error);
        for (const swap of swaps) swap.reject(error);
      },
    );
  };

  async addTraffic(
    decisions: Readonly<DecisionCounts>,
    paths: ReadonlyMap<string, number>,
  ): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const decision in decisions) {
      const count = decisions[decision as GatewayDecision];
      if (count > 0) pipeline.hincrby(COUNTS_KEY, decision, count);
    }
    // Bounded like the in-memory store: a flood of random paths cannot grow Redis forever.
    if (paths.size > 0) {
      const args: (string | number)[] = [this.options.maxPaths];
      for (const [path, count] of paths) args.push(count, path);
      (pipeline as ScriptedPipeline).addPaths(PATHS_KEY, ...args);
    }
    if (pipeline.length === 0) return;
    try {
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
      this.outage.recovered();
    } catch (error) {
      this.outage.failed(error);
      throw error;
    }
  }

  async decisionCounts(): Promise<DecisionCounts> {
    const stored = await this.client.hgetall(COUNTS_KEY);
    const counts = emptyDecisionCounts();
    for (const decision in counts)
      counts[decision as GatewayDecision] = Number(stored[decision] ?? 0);
    return counts;
  }

  async topPaths(offset: number, limit: number): Promise<PathPage> {
    const [total, flat] = (await this.client.eval(
      TOP_PATHS_SCRIPT,
      1,
      PATHS_KEY,
      offset,
      limit,
    )) as [number, string[]];
    const paths: PathCount[] = [];
    for (let i = 0; i < flat.length; i += 2)
      paths.push({ path: flat[i], count: Number(flat[i + 1]) });
    return { total, paths: paths.sort(byCountThenPath) };
  }

  async ping(): Promise<void> {
    if (this.client.status !== 'ready')
      throw new Error(`redis is ${this.client.status}`);
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
