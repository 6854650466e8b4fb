import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { configProvider } from '@gatehouse/shared/config';
import { MetricsController } from '@gatehouse/shared/http';
import { createLoggerModule } from '@gatehouse/shared/logging';
import { ApiController } from './api.controller';
import { BACKEND_CONFIG, BackendConfig, backendSchema } from './backend.config';
import { DefaultController, HealthController } from './default.controller';
import { EchoController } from './echo.controller';
import { JwtReplayCache } from './jwt-replay.cache';
import { JwtVerifyGuard } from './jwt-verify.guard';
import { MockController } from './mock.controller';
import { MockScenarioService } from './mock-scenario.service';

@Module({})
export class AppModule {
  static forRoot(config: BackendConfig): DynamicModule {
    return {
      module: AppModule,
      // The catch-all controller goes last so that every specific route wins over it.
      controllers: [
        HealthController,
        MetricsController,
        MockController,
        ApiController,
        EchoController,
        DefaultController,
      ],
      imports: [
        createLoggerModule({ service: 'backend', level: config.LOG_LEVEL }),
      ],
      providers: [
        MockScenarioService,
        configProvider(BACKEND_CONFIG, backendSchema),
        {
          provide: JwtReplayCache,
          useValue: new JwtReplayCache(config.JWT_REPLAY_MAX),
        },
        { provide: APP_GUARD, useClass: JwtVerifyGuard },
      ],
    };
  }
}
