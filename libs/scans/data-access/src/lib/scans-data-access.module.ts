import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { TerminusModule } from '@nestjs/terminus';
import { scansConnectionOptions } from './scans-connection-options';
import { ScanAttempt, ScanAttemptSchema } from './scan-attempt.schema';
import { ScanAttemptReader } from './scan-attempt.reader';
import {
  SCAN_STORE_OPTIONS,
  ScanStoreConnection,
  ScanStoreOptions,
} from './scan-store.connection';
import { ScanRepository } from './scan.repository';
import { Scan, ScanSchema } from './scan.schema';

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
          ),
          // S-3: never wait for the database at boot. ScanStoreConnection keeps trying, and the
          // app listens, reports not-ready and answers 503 meanwhile.
          lazyConnection: true,
        }),
        MongooseModule.forFeature([
          { name: Scan.name, schema: ScanSchema },
          { name: ScanAttempt.name, schema: ScanAttemptSchema },
        ]),
        TerminusModule,
      ],
      providers: [
        { provide: SCAN_STORE_OPTIONS, useValue: options },
        ScanStoreConnection,
        ScanAttemptReader,
        ScanRepository,
      ],
      exports: [
        ScanAttemptReader,
        ScanRepository,
        ScanStoreConnection,
        TerminusModule,
      ],
    };
  }
}
