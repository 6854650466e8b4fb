import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { scansConnectionOptions } from './scans-connection-options';
import { ScanAttempt, ScanAttemptSchema } from './scan-attempt.schema';
import {
  SCAN_STORE_OPTIONS,
  ScanStoreConnection,
  ScanStoreOptions,
} from './scan-store.connection';
import { ScanClaimRepository } from './scan-claim.repository';
import { ScanControlRepository } from './scan-control.repository';
import { ScanCounter, ScanCounterSchema } from './scan-counter.schema';
import { ScanCounters } from './scan-counters';
import { ScanIntakeRepository } from './scan-intake.repository';
import {
  ScanQueueEntry,
  ScanQueueEntrySchema,
} from './scan-queue-entry.schema';
import { ScanLease, ScanLeaseSchema } from './scan-lease.schema';
import { ScanReadRepository } from './scan-read.repository';
import { ScanStoreSetup } from './scan-store.setup';
import { ScanWebhookRepository } from './scan-webhook.repository';
import { ScanWebhook, ScanWebhookSchema } from './scan-webhook.schema';
import { Scan, ScanSchema } from './scan.schema';
import { ScanStoreCommandMetrics } from './store-commands';

export type ScansDataAccessOptions = ScanStoreOptions;

@Module({})
export class ScansDataAccessModule {
  static forRoot(options: ScansDataAccessOptions): DynamicModule {
    return {
      module: ScansDataAccessModule,
      imports: [
        MongooseModule.forRoot(options.uri, {
          ...scansConnectionOptions(
            options.appName,
            options.serverSelectionTimeoutMs,
            options.writeConcern,
          ),
          // S-3: never wait for the database at boot. ScanStoreConnection keeps trying, and the
          // app listens, reports not-ready and answers 503 meanwhile.
          lazyConnection: true,
        }),
        MongooseModule.forFeature([
          { name: Scan.name, schema: ScanSchema },
          { name: ScanAttempt.name, schema: ScanAttemptSchema },
          { name: ScanQueueEntry.name, schema: ScanQueueEntrySchema },
          { name: ScanLease.name, schema: ScanLeaseSchema },
          { name: ScanCounter.name, schema: ScanCounterSchema },
          { name: ScanWebhook.name, schema: ScanWebhookSchema },
        ]),
      ],
      providers: [
        { provide: SCAN_STORE_OPTIONS, useValue: options },
        ScanStoreConnection,
        ScanClaimRepository,
        ScanControlRepository,
        ScanCounters,
        ScanIntakeRepository,
        ScanReadRepository,
        ScanStoreCommandMetrics,
        ScanStoreSetup,
        ScanWebhookRepository,
      ],
      exports: [
        ScanClaimRepository,
        ScanControlRepository,
        ScanCounters,
        ScanIntakeRepository,
        ScanReadRepository,
        ScanStoreConnection,
        ScanStoreSetup,
        ScanWebhookRepository,
      ],
    };
  }
}
