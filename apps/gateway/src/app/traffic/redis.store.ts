import { Logger } from '@nestjs/common';
import type { GatewayDecision } from '@gatehouse/shared/contracts';
import calculateSlot from 'cluster-key-slot';
import Redis, { Cluster } from 'ioredis';
import {
  DecisionCounts,
  emptyDecisionCounts,
  GatewayStore,
  PathCount,
  PathPage,
} from './gateway.store';
import { OutageNotice } from './outage-notice';
import { byCountThenPath } from './path-order';

export interface ClusterNode {
  host: string;
  port: number;
}

export interface RedisStoreOptions {
  // One Redis server (REDIS_URL), or the seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES).
  url?: URL;
  clusterNodes?: readonly ClusterNode[];
  // Every key the store (and anything sharing its client) writes starts with it.
  prefix: string;
  duplicateTtlMs: number;
  commandTimeoutMs: number;
  // Distinct paths kept at most: past it the lowest counts are trimmed (G-10).
  maxPaths: number;
}

// Every key carries a hash tag, on one server too, so that the key layout is the same on a
// cluster: per-client state is tagged by client (clients spread over the slots), the statistics
// share one tag so that their pipeline stays in one slot.
export const COUNTS_KEY = '{stats}:counts';
export const PATHS_KEY = '{stats}:paths';
export const duplicateKey = (client: string): string => `dup:{${client}}`;

// While a cluster is failing, how often its health is probed to notice its return.
const CLUSTER_PROBE_MS = 500;

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

type ScriptedRedis = (Redis | Cluster) & {
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
  readonly client: Redis | Cluster;
  // Set on a cluster only: the single-server path never looks at slots.
  private readonly cluster: Cluster | undefined;
  private readonly logger = new Logger(RedisStore.name);
  private readonly outage = new OutageNotice(this.logger, 'redis');
  private closing = false;
  private probe: NodeJS.Timeout | undefined;
  // Swaps asked for in one turn of the event loop, sent together when it ends.
  private swaps: PendingSwap[] = [];

  constructor(private readonly options: RedisStoreOptions) {
    const nodeOptions = {
      // A dead Redis must fail a command at once, never queue it behind a request.
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(1_000, options.commandTimeoutMs),
      maxRetriesPerRequest: 0,
    };
    if (options.clusterNodes !== undefined && options.clusterNodes.length > 0) {
      this.cluster = new Cluster([...options.clusterNodes], {
        keyPrefix: options.prefix,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        redisOptions: nodeOptions,
        clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
        // During a failover a command is retried briefly (CLUSTERDOWN, a closed node), then fails
        // open; the slot map is re-read often enough to find a promoted replica by itself.
        maxRedirections: 3,
        retryDelayOnClusterDown: 100,
        retryDelayOnFailover: 100,
        retryDelayOnTryAgain: 100,
        slotsRefreshInterval: 1_000,
        slotsRefreshTimeout: Math.max(1_000, options.commandTimeoutMs),
      });
      this.client = this.cluster;
      // A node going away is an outage of part of the key space: reported once, like a server's.
      this.cluster.on('node error', (error: Error) => this.failed(error));
    } else {
      if (options.url === undefined)
        throw new Error('RedisStore needs a URL or cluster nodes');
      this.client = new Redis(options.url.toString(), {
        ...nodeOptions,
        keyPrefix: options.prefix,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      });
    }
    // Sent by its digest (EVALSHA); ioredis loads the script when Redis does not know it.
    this.client.defineCommand('swapLastRequests', { lua: SWAP_SCRIPT });
    this.client.defineCommand('addPaths', {
      lua: ADD_PATHS_SCRIPT,
      numberOfKeys: 1,
    });
    this.client.on('error', (error: Error) => this.failed(error));
    this.client.on('close', () => {
      if (!this.closing) this.failed(new Error('connection closed'));
    });
    // On a cluster the probe ends an outage: a reconnected client may still miss slots.
    this.client.on('ready', () => {
      if (this.cluster === undefined) this.outage.recovered();
    });
  }

  // On a cluster one slot can fail while another answers, so a successful command does not end
  // the outage: a probe of the whole cluster does, and the outage is logged once either way.
  private failed(error: unknown): void {
    this.outage.failed(error);
    if (this.cluster === undefined || this.probe !== undefined || this.closing)
      return;
    this.probe = setInterval(() => {
      this.ping().then(
        () => {
          clearInterval(this.probe);
          this.probe = undefined;
          this.outage.recovered();
        },
        () => undefined,
      );
    }, CLUSTER_PROBE_MS);
    this.probe.unref();
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
      const swap = { key: duplicateKey(client), fingerprint, resolve, reject };
      if (this.swaps.push(swap) === 1) setImmediate(this.sendSwaps);
    });
  }

  private readonly sendSwaps = (): void => {
    const swaps = this.swaps;
    this.swaps = [];
    if (this.cluster === undefined || swaps.length === 1)
      this.sendSwapGroup(swaps);
    // A script's keys must share one slot on a cluster (no CROSSSLOT): one command per slot,
    // which auto-pipelining then batches per node.
    else for (const group of this.bySlot(swaps)) this.sendSwapGroup(group);
  };

  private bySlot(swaps: PendingSwap[]): Iterable<PendingSwap[]> {
    const groups = new Map<number, PendingSwap[]>();
    for (const swap of swaps) {
      const slot = calculateSlot(this.options.prefix + swap.key);
      const group = groups.get(slot);
      if (group === undefined) groups.set(slot, [swap]);
      else group.push(swap);
    }
    return groups.values();
  }

  private sendSwapGroup(swaps: PendingSwap[]): void {
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
        this.failed(error);
        for (const swap of swaps) swap.reject(error);
      },
    );
  }

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
      if (this.cluster === undefined) this.outage.recovered();
    } catch (error) {
      this.failed(error);
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
    if (this.cluster === undefined) {
      await this.client.ping();
      return;
    }
    // A cluster serves when every master in its own slot map is connected, answers, and
    // reports the cluster ok. A killed master drops out of the client's pool at once, while
    // the others still list it until its replica is promoted; after that they report
    // cluster_state:fail while its slots are uncovered.
    const pool = new Map(
      this.cluster
        .nodes()
        .map((node) => [`${node.options.host}:${node.options.port}`, node]),
    );
    const slots = await Promise.any(
      this.cluster.nodes('master').map((node) => node.cluster('SLOTS')),
    );
    const masters = new Set(
      slots.map(([, , [host, port]]) => `${host}:${port}`),
    );
    const states = await Promise.all(
      [...masters].map((address) => {
        const node = pool.get(address);
        if (node === undefined)
          throw new Error(`redis cluster master ${address} is not connected`);
        return node.cluster('INFO');
      }),
    );
    if (!states.every((info) => /^cluster_state:ok\s*$/m.test(info)))
      throw new Error('redis cluster state is not ok');
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.probe);
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
