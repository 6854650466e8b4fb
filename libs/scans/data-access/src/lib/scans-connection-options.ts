import type { ConnectOptions } from 'mongoose';

// One set of client options for the apps and the integration tests, so tests see what production does.
export function scansConnectionOptions(
  appName: string,
  serverSelectionTimeoutMs = 2_000,
): ConnectOptions {
  return {
    appName,
    serverSelectionTimeoutMS: serverSelectionTimeoutMs,
    connectTimeoutMS: serverSelectionTimeoutMs,
    // Every write is acknowledged by a majority before we answer (S-3: no 202 without it).
    writeConcern: { w: 'majority' },
    // Fail fast instead of queueing writes in memory while the database is away (S-3).
    bufferCommands: false,
    // Indexes are built by ScanStoreSetup.ensureIndexes, where a failure is visible.
    autoIndex: false,
    // Database commands are counted per store operation (ScanStoreCommandMetrics, S-13).
    monitorCommands: true,
  };
}
