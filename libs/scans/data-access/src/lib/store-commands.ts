import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter } from 'prom-client';

const operation = new AsyncLocalStorage<string>();
let operations: Counter<'operation'> | undefined;

// Names the store operation that the database commands sent inside `run` belong to (S-13).
export function inStoreOperation<T>(
  name: string,
  run: () => Promise<T>,
): Promise<T> {
  operations?.inc({ operation: name });
  return operation.run(name, run);
}

// S-13: counts every database command with the driver's command monitoring, by the store
// operation that sent it (poll, claim, renew, finish, ...), as Prometheus counters. Dividing
// `scan_store_commands_total` by scans or by `scan_store_operations_total` gives the cost of
// each step; tools/bench/scans-throughput.mjs reports it.
@Injectable()
export class ScanStoreCommandMetrics implements OnModuleInit {
  private readonly commands = new Counter({
    name: 'scan_store_commands_total',
    help: 'Database commands sent, by scan store operation and command name',
    labelNames: ['operation', 'command'] as const,
  });

  constructor(@InjectConnection() private readonly connection: Connection) {
    operations ??= new Counter({
      name: 'scan_store_operations_total',
      help: 'Scan store operations run, by operation',
      labelNames: ['operation'] as const,
    });
  }

  onModuleInit(): void {
    // Needs monitorCommands on the client (scansConnectionOptions sets it).
    this.connection
      .getClient()
      .on('commandStarted', (event: { commandName: string }) =>
        this.commands.inc({
          operation: operation.getStore() ?? 'other',
          command: event.commandName,
        }),
      );
  }
}
