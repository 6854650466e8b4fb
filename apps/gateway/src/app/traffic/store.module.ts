import { Global, Module } from '@nestjs/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { GATEWAY_STORE, GatewayStore } from './gateway.store';
import { MemoryStore } from './memory.store';
import { RedisStore } from './redis.store';

// G-5: REDIS_URL (one server) or REDIS_CLUSTER_NODES (a Redis Cluster) switches every piece of
// shared state (duplicates, rate limits, statistics, counters) to Redis; without either they
// live in bounded memory.
async function createStore(config: GatewayConfig): Promise<GatewayStore> {
  if (
    config.REDIS_URL === undefined &&
    config.REDIS_CLUSTER_NODES.length === 0
  ) {
    return new MemoryStore({
      maxClients: config.STORE_MAX_CLIENTS,
      ttlMs: config.DUPLICATE_TTL_MS,
      maxPaths: config.STATS_MAX_PATHS,
    });
  }
  const store = new RedisStore({
    url: config.REDIS_URL,
    clusterNodes: config.REDIS_CLUSTER_NODES,
    prefix: config.REDIS_PREFIX,
    duplicateTtlMs: config.DUPLICATE_TTL_MS,
    commandTimeoutMs: config.REDIS_TIMEOUT_MS,
    maxPaths: config.STATS_MAX_PATHS,
  });
  await store.connected(2_000);
  return store;
}

// The gateway's shared state, for every feature that reads or writes it.
@Global()
@Module({
  providers: [
    {
      provide: GATEWAY_STORE,
      inject: [GATEWAY_CONFIG],
      useFactory: createStore,
    },
  ],
  exports: [GATEWAY_STORE],
})
export class StoreModule {}
