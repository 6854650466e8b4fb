import type { ConnectOptions } from 'mongoose';
import {
  DEFAULT_SCAN_WRITE_CONCERN,
  ScanWriteConcern,
} from './scan-write-concern';

// One set of client options for the apps and the integration tests, so tests see what production does.
export function scansConnectionOptions(
  appName: string,
  serverSelectionTimeoutMs = 2_000,
  writeConcern: ScanWriteConcern = DEFAULT_SCAN_WRITE_CONCERN,
): ConnectOptions {
  return {
    appName,
    serverSelectionTimeoutMS: serverSelectionTimeoutMs,
    connectTimeoutMS: serverSelectionTimeoutMs,
    // Every write, the claim protocol's included, is acknowledged by a majority before it
    // counts (S-3: no 202 without it; S-5: a claim that can roll back after a failover lets two
    // workers own one attempt, ADR 0002). MONGODB_WRITE_CONCERN may name a member count instead.
    writeConcern: { w: writeConcern },
    // A write whose answer was lost in a failover is retried once on the new primary.
    retryWrites: true,
    // Reads, those that decide a claim included, see only majority-committed writes: never a
    // claim or lease that a failover may still roll back.
    readConcern: { level: 'majority' },
    // Fail fast instead of queueing writes in memory while the database is away (S-3).
    bufferCommands: false,
    // Indexes are built by ScanStoreSetup.ensureIndexes, where a failure is visible.
    autoIndex: false,
    // Database commands are counted per store operation (ScanStoreCommandMetrics, S-13).
    monitorCommands: true,
  };
}
