import { DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import {
  ScansDataAccessModule,
  ScansHealthController,
  ScanStoreUnavailableInterceptor,
} from '@gatehouse/scans/data-access';
import { MetricsController } from '@gatehouse/shared/http';
import { createLoggerModule } from '@gatehouse/shared/logging';
import { ScansController } from './scans.controller';
import type { StatusConfig } from './status.config';

@Module({})
export class AppModule {
  static forRoot(config: StatusConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        createLoggerModule({ service: 'status', level: config.LOG_LEVEL }),
        ScansDataAccessModule.forRoot({
          uri: config.MONGODB_URI,
          writeConcern: config.MONGODB_WRITE_CONCERN,
          appName: 'gatehouse-status',
        }),
      ],
      controllers: [ScansController, ScansHealthController, MetricsController],
      providers: [
        { provide: APP_INTERCEPTOR, useClass: ScanStoreUnavailableInterceptor },
      ],
    };
  }
}
