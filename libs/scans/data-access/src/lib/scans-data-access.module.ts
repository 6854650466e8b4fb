import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { TerminusModule } from '@nestjs/terminus';
import { scansConnectionOptions } from './scans-connection-options';
import { ScanAttempt, ScanAttemptSchema } from './scan-attempt.schema';
import { ScanClaimRepository } from './scan-claim.repository';
import { ScanIntakeRepository } from './scan-intake.repository';
import {
  ScanQueueEntry,
  ScanQueueEntrySchema,
} from './scan-queue-entry.schema';
import { ScanLease, ScanLeaseSchema } from './scan-lease.schema';
import { ScanReadRepository } from './scan-read.repository';
import { ScanStoreSetup } from './scan-store.setup';
import { Scan, ScanSchema } from './scan.schema';
import { ScanStoreCommandMetrics } from './store-commands';

export interface ScansDataAccessOptions {
  uri: string;
  appName: string;
  // How long a query waits for a reachable server before failing (and the API answering 503).
  serverSelectionTimeoutMs?: number;
}

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
          ),
          // Waits about 30 s for the database at boot, then exits so a supervisor restarts us.
          retryAttempts: 10,
          retryDelay: 1_000,
        }),
        MongooseModule.forFeature([
          { name: Scan.name, schema: ScanSchema },
          { name: ScanAttempt.name, schema: ScanAttemptSchema },
          { name: ScanQueueEntry.name, schema: ScanQueueEntrySchema },
          { name: ScanLease.name, schema: ScanLeaseSchema },
        ]),
        TerminusModule,
      ],
      providers: [
        ScanClaimRepository,
        ScanIntakeRepository,
        ScanReadRepository,
        ScanStoreCommandMetrics,
        ScanStoreSetup,
      ],
      exports: [
        ScanClaimRepository,
        ScanIntakeRepository,
        ScanReadRepository,
        ScanStoreSetup,
        TerminusModule,
      ],
    };
  }
}
