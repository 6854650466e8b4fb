import { DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import {
  ScansDataAccessModule,
  ScansHealthController,
  ScanStoreUnavailableInterceptor,
} from '@gatehouse/scans/data-access';
import { MetricsController } from '@gatehouse/shared/http';
import { configProvider } from '@gatehouse/shared/config';
import { createLoggerModule } from '@gatehouse/shared/logging';
import { ScanScope } from '@gatehouse/scans/target-scope';
import {
  INGEST_CONFIG,
  IngestConfig,
  ingestConfigSchema,
} from './ingest.config';
import { ScanIntakeService } from './scan-intake.service';
import { ScansController } from './scans.controller';

@Module({})
export class AppModule {
  static forRoot(config: IngestConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        createLoggerModule({ service: 'ingest', level: config.LOG_LEVEL }),
        ScansDataAccessModule.forRoot({
          uri: config.MONGODB_URI,
          writeConcern: config.MONGODB_WRITE_CONCERN,
          appName: 'gatehouse-ingest',
        }),
      ],
      controllers: [ScansController, ScansHealthController, MetricsController],
      providers: [
        { provide: APP_INTERCEPTOR, useClass: ScanStoreUnavailableInterceptor },
        configProvider(INGEST_CONFIG, ingestConfigSchema),
        {
          provide: ScanScope,
          useValue: ScanScope.fromLists(config.SCAN_ALLOW, config.SCAN_DENY),
        },
        ScanIntakeService,
      ],
    };
  }
}
