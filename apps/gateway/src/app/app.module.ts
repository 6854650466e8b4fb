import { DynamicModule, Module } from '@nestjs/common';
import { MetricsController } from '@gatehouse/shared/http';
import { createLoggerModule } from '@gatehouse/shared/logging';
import { HealthController } from './admin/health.controller';
import { UpstreamProbe } from './admin/upstream.probe';
import { GATEWAY_CONFIG, GatewayConfig } from './gateway.config';
import { MaliciousRequestGuard } from './inspection/malicious-request.guard';
import { ProxyPipeline } from './proxy/proxy.pipeline';
import { ProxyService } from './proxy/proxy.service';
import { RequestLogService } from './proxy/request-log.service';
import { UpstreamErrorLog } from './proxy/upstream-error.log';
import { DuplicateDelayInterceptor } from './traffic/duplicate-delay.interceptor';
import { GATEWAY_STORE } from './traffic/gateway.store';
import { InFlightLimitGuard } from './traffic/in-flight-limit.guard';
import { MemoryStore } from './traffic/memory.store';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, MetricsController],
      imports: [
        createLoggerModule({
          service: 'gateway',
          level: config.LOG_LEVEL,
          quietPaths: (url) => url.startsWith(`${config.ADMIN_PREFIX}/health/`),
        }),
      ],
      providers: [
        DuplicateDelayInterceptor,
        InFlightLimitGuard,
        MaliciousRequestGuard,
        ProxyPipeline,
        ProxyService,
        RequestLogService,
        UpstreamErrorLog,
        UpstreamProbe,
        { provide: GATEWAY_CONFIG, useValue: config },
        {
          provide: GATEWAY_STORE,
          useFactory: () =>
            new MemoryStore({
              maxClients: config.STORE_MAX_CLIENTS,
              ttlMs: config.DUPLICATE_TTL_MS,
            }),
        },
      ],
    };
  }
}
