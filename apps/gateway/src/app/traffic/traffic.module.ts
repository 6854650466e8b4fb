import { Module } from '@nestjs/common';
import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Cluster } from 'ioredis';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { clientThrottlerOptions } from './client-throttler.guard';
import { DuplicateDelay } from './duplicate-delay.service';
import { GATEWAY_STORE, GatewayStore } from './gateway.store';
import { InFlightLimit } from './in-flight.limit';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { PendingBodyLimit } from './pending-body.limit';
import { RedisStore } from './redis.store';

// The throttler counts where the store keeps its state: Redis (one server or a cluster, through
// the store's own client), or bounded memory.
function throttlerStorage(
  store: GatewayStore,
  config: GatewayConfig,
): ThrottlerStorage {
  if (!(store instanceof RedisStore))
    return new MemoryThrottlerStorage(config.STORE_MAX_CLIENTS);
  // One constructor overload per client type.
  const client = store.client;
  return client instanceof Cluster
    ? new ThrottlerStorageRedisService(client)
    : new ThrottlerStorageRedisService(client);
}

// What bounds traffic (G-3, G-6): the rate limit, the duplicate hold, bodies still arriving
// and upstream slots.
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [GATEWAY_CONFIG, GATEWAY_STORE],
      useFactory: (config: GatewayConfig, store: GatewayStore) =>
        clientThrottlerOptions(config, throttlerStorage(store, config)),
    }),
  ],
  providers: [DuplicateDelay, InFlightLimit, PendingBodyLimit],
  exports: [DuplicateDelay, InFlightLimit, PendingBodyLimit, ThrottlerModule],
})
export class TrafficModule {}
