import { DynamicModule, Module } from '@nestjs/common';
import { configProvider } from '@gatehouse/shared/config';
import { createLoggerModule } from '@gatehouse/shared/logging';
import { AppClient } from './app-client.service';
import {
  CONSOLE_CONFIG,
  ConsoleConfig,
  consoleConfigSchema,
} from './console.config';
import { ConsoleApiController } from './console-api.controller';
import { GatewayOverviewService } from './gateway-overview.service';
import { HealthController } from './health.controller';

@Module({})
export class AppModule {
  static forRoot(config: ConsoleConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [ConsoleApiController, HealthController],
      imports: [
        createLoggerModule({
          service: 'console',
          level: config.LOG_LEVEL,
          // The page polls every second; only errors and writes are worth a line each.
          quietPaths: (url) =>
            url.startsWith('/health/') ||
            url.startsWith('/page/') ||
            url === '/',
        }),
      ],
      providers: [
        AppClient,
        GatewayOverviewService,
        configProvider(CONSOLE_CONFIG, consoleConfigSchema),
      ],
    };
  }
}
