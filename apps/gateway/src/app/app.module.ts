import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { createLoggerModule } from '@gatehouse/shared/logging';
import { AdminModule } from './admin/admin.module';
import { GatewayConfigModule } from './gateway-config.module';
import { GatewayConfig } from './gateway.config';
import { ProxyModule } from './proxy/proxy.module';
import { StatsModule } from './stats/stats.module';
import { StoreModule } from './traffic/store.module';

// The gateway, feature by feature: proxied traffic (proxy, with inspection, traffic, hedging
// and the upstreams behind it), statistics and metrics, and the admin routes.
@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        GatewayConfigModule.fromConfigService(),
        createLoggerModule({
          service: 'gateway',
          level: config.LOG_LEVEL,
          // One line per proxied request: written in 4 KiB batches, not one write each.
          bufferBytes: 4_096,
          quietPaths: (url) => url.startsWith(`${config.ADMIN_PREFIX}/health/`),
          // Named wildcard: under the global prefix a bare "*" is legacy syntax and warns at boot.
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        }),
        StoreModule,
        AdminModule,
        StatsModule,
        ProxyModule,
      ],
    };
  }
}
