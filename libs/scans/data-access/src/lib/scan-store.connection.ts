import {
  Inject,
  Injectable,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { InjectPinoLogger, PinoLogger } from '@gatehouse/shared/logging';
import type { Connection } from 'mongoose';
import { ScanStoreSetup } from './scan-store.setup';
import { scansConnectionOptions } from './scans-connection-options';
import type { ScanWriteConcern } from './scan-write-concern';

export const SCAN_STORE_OPTIONS = Symbol('SCAN_STORE_OPTIONS');

export interface ScanStoreOptions {
  uri: string;
  appName: string;
  // How long a query waits for a reachable server before failing (and the API answering 503).
  serverSelectionTimeoutMs?: number;
  // MONGODB_WRITE_CONCERN; "majority" when unset (S-5).
  writeConcern?: ScanWriteConcern;
  // Back-off between attempts to reach a database that was down at start-up.
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

// S-3: the scan apps start and listen with MongoDB down, report not-ready, and recover by
// themselves. The driver reconnects a connection that was once up; a first connection that
// failed is retried here, with back-off, for as long as the app runs. Once connected, the
// indexes are built (ScanStoreSetup) before the store counts as up, so that no write lands
// before the unique indexes that guard it. Each outage and each recovery is one log line.
@Injectable()
export class ScanStoreConnection
  implements OnModuleInit, OnApplicationShutdown
{
  private connected = false;
  private prepared = false;
  private announced: 'up' | 'down' | 'none' = 'none';
  private reason = 'connecting';
  private closed = false;
  private wake: () => void = () => undefined;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(SCAN_STORE_OPTIONS) private readonly options: ScanStoreOptions,
    private readonly setup: ScanStoreSetup,
    @InjectPinoLogger(ScanStoreConnection.name)
    private readonly logger: PinoLogger,
  ) {}

  onModuleInit(): void {
    // Without a listener an 'error' event would crash the process.
    this.connection.on('error', (error: unknown) => this.lost(error));
    this.connection.on('disconnected', () =>
      this.lost(new Error('disconnected')),
    );
    this.connection.on('connected', () => this.reached());
    this.connection.on('reconnected', () => this.reached());
    void this.connectLoop();
  }

  onApplicationShutdown(): void {
    this.closed = true;
    this.wake();
  }

  // Reachable, with its indexes in place.
  get isUp(): boolean {
    return this.connected && this.prepared;
  }

  // Why the store is not up, fit for a client: no host names, addresses or driver internals.
  get downReason(): string {
    if (this.isUp) return '';
    if (this.connected) return 'building indexes';
    return publicReason(this.reason);
  }

  // A round trip to the database, bounded by `timeoutMs`.
  async ping(timeoutMs: number): Promise<void> {
    const db = this.connection.db;
    if (!this.isUp || !db) throw new Error(this.downReason || 'not connected');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        db.admin().ping(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async connectLoop(): Promise<void> {
    const min = this.options.reconnectMinMs ?? 250;
    const max = this.options.reconnectMaxMs ?? 5_000;
    let delay = min;
    while (!this.closed && !this.prepared) {
      try {
        if (this.connection.readyState !== 1) await this.connect();
        await this.setup.ensureIndexes();
        this.prepared = true;
        this.announce();
      } catch (error) {
        if (this.connection.readyState === 1)
          this.logger.warn(
            { err: describe(error) },
            'building scan store indexes failed; retrying',
          );
        else this.lost(error);
        await this.sleep(delay);
        delay = Math.min(delay * 2, max);
      }
    }
  }

  private async connect(): Promise<void> {
    // The first attempt is the one Mongoose starts by itself; later ones reopen the same URI.
    if (this.connection.readyState === 2) await this.connection.asPromise();
    else
      await this.connection.openUri(
        this.options.uri,
        scansConnectionOptions(
          this.options.appName,
          this.options.serverSelectionTimeoutMs,
          this.options.writeConcern,
        ),
      );
    this.reached();
  }

  private reached(): void {
    this.connected = true;
    this.announce();
  }

  private lost(error: unknown): void {
    this.reason = describe(error);
    if (this.closed) return;
    this.connected = false;
    this.announce();
  }

  // One line per change of state, never one per failed attempt.
  private announce(): void {
    if (this.isUp && this.announced !== 'up') {
      const recovered = this.announced === 'down';
      this.announced = 'up';
      this.logger.info(
        { event: 'store.up', store: 'mongodb', recovered },
        recovered ? 'scan store reachable again' : 'scan store ready',
      );
    } else if (!this.connected && this.announced !== 'down') {
      this.announced = 'down';
      this.logger.warn(
        { event: 'store.down', store: 'mongodb', reason: this.reason },
        'scan store unreachable; answering 503 until it is back',
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = () => undefined;
        done();
      };
    });
  }
}

function publicReason(reason: string): string {
  if (reason === 'connecting') return 'connecting';
  if (/ECONNREFUSED/.test(reason)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(reason)) return 'host not found';
  if (/auth/i.test(reason)) return 'authentication failed';
  if (/timed? ?out|ETIMEDOUT/i.test(reason)) return 'timed out';
  return 'unreachable';
}

// One short line: driver errors carry topology dumps that do not belong in a log line.
function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
