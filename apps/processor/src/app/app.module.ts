import { DynamicModule, Module } from '@nestjs/common';
import {
  ScansDataAccessModule,
  ScansHealthController,
} from '@gatehouse/scans/data-access';
import { MetricsController } from '@gatehouse/shared/http';
import { configProvider } from '@gatehouse/shared/config';
import { createLoggerModule } from '@gatehouse/shared/logging';
import {
  PROCESSOR_CONFIG,
  ProcessorConfig,
  processorConfigSchema,
} from './processor.config';
import { createScanJobs } from './jobs/scan-jobs';
import { byKind, SCAN_JOB } from './scan-job';
import { ScanWorkerMetrics } from './scan-worker.metrics';
import { ScanWorkerService } from './scan-worker.service';
import { WebhookDispatcherService } from './webhooks/webhook-dispatcher.service';

@Module({})
export class AppModule {
  static forRoot(config: ProcessorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        createLoggerModule({ service: 'processor', level: config.LOG_LEVEL }),
        ScansDataAccessModule.forRoot({
          uri: config.MONGODB_URI,
          writeConcern: config.MONGODB_WRITE_CONCERN,
          appName: 'gatehouse-processor',
        }),
      ],
      controllers: [ScansHealthController, MetricsController],
      providers: [
        configProvider(PROCESSOR_CONFIG, processorConfigSchema),
        {
          provide: SCAN_JOB,
          useValue: byKind(createScanJobs(config)),
        },
        ScanWorkerMetrics,
        ScanWorkerService,
        WebhookDispatcherService,
      ],
    };
  }
}
