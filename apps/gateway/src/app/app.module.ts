import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { TerminusModule } from '@nestjs/terminus';
import { Cluster } from 'ioredis';
import { configProvider } from '@gatehouse/shared/config';
import { MetricsController } from '@gatehouse/shared/http';
import { createLoggerModule } from '@gatehouse/shared/logging';
import { GatewayMetrics } from './stats/gateway.metrics';
import { HealthController } from './admin/health.controller';
import { StatusController } from './admin/status.controller';
import { UpstreamProbe } from './admin/upstream.probe';
import { ForwardProxyRouter } from './forward-proxy/forward-proxy.router';
import { GATEWAY_CONFIG, GatewayConfig, gatewaySchema } from './gateway.config';
import { HedgedRouteHandler } from './hedging/hedged-route.handler';
import { MaliciousPayloadInspector } from './inspection/malicious-payload.inspector';
import { JwtSigner } from './jwt/jwt-signer.service';
import { ProxyPipeline } from './proxy/proxy.pipeline';
import { ProxyService } from './proxy/proxy.service';
import { RequestLogService } from './proxy/request-log.service';
import { UpstreamErrorLog } from './proxy/upstream-error.log';
import { BackendUpstream } from './request/backend-upstream';
import { UpstreamHeaders } from './request/upstream-headers';
import { WebSocketTunnels } from './websocket/websocket-tunnel.service';
import { LoadGenerator } from './stats/load-generator.service';
import { StatsController } from './stats/stats.controller';
import { TrafficRecorder } from './stats/traffic-recorder.service';
import { DuplicateDelay } from './traffic/duplicate-delay.service';
import { GATEWAY_STORE, GatewayStore } from './traffic/gateway.store';
import { InFlightLimit } from './traffic/in-flight.limit';
import { MemoryStore } from './traffic/memory.store';
import { MemoryThrottlerStorage } from './traffic/memory-throttler.storage';
import { PendingBodyLimit } from './traffic/pending-body.limit';
import { RateLimit } from './traffic/rate.limit';
import { RedisStore } from './traffic/redis.store';

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

function throttlerStorageOn(
  client: RedisStore['client'],
): ThrottlerStorageRedisService {
  return client instanceof Cluster
    ? new ThrottlerStorageRedisService(client)
    : new ThrottlerStorageRedisService(client);
}

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [
        HealthController,
        MetricsController,
        StatsController,
        StatusController,
      ],
      imports: [
        createLoggerModule({
          service: 'gateway',
          level: config.LOG_LEVEL,
          // One line per proxied request: written in 4 KiB batches, not one write each.
          bufferBytes: 4_096,
          quietPaths: (url) => url.startsWith(`${config.ADMIN_PREFIX}/health/`),
          // Named wildcard: under the global prefix a bare "*" is legacy syntax and warns at boot.
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        }),
        // Readiness answers with problem+json naming the failed checks, so terminus need not log them.
        TerminusModule.forRoot({ logger: false }),
      ],
      providers: [
        BackendUpstream,
        DuplicateDelay,
        ForwardProxyRouter,
        GatewayMetrics,
        HedgedRouteHandler,
        InFlightLimit,
        JwtSigner,
        LoadGenerator,
        MaliciousPayloadInspector,
        PendingBodyLimit,
        ProxyPipeline,
        ProxyService,
        RateLimit,
        RequestLogService,
        TrafficRecorder,
        UpstreamErrorLog,
        UpstreamHeaders,
        UpstreamProbe,
        WebSocketTunnels,
        configProvider(GATEWAY_CONFIG, gatewaySchema),
        { provide: GATEWAY_STORE, useFactory: () => createStore(config) },
        // The throttler's script keys share a per-client hash tag ({rl:<client>:client}), so it
        // runs on a cluster through the store's client as it is.
        {
          provide: ThrottlerStorage,
          inject: [GATEWAY_STORE],
          useFactory: (store: GatewayStore) =>
            store instanceof RedisStore
              ? throttlerStorageOn(store.client)
              : new MemoryThrottlerStorage(config.STORE_MAX_CLIENTS),
        },
      ],
    };
  }
}
