import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import pino, { Logger as PinoLogger } from 'pino';
import { loggerOptions } from '@gatehouse/shared/logging';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';

export interface UpstreamFailure {
  requestId: string;
  method: string;
  path: string;
  upstream: string;
  status: number;
  code: string;
  error: string;
  latencyMs: number;
}

// G-4: upstream failures also go, one JSON line each, to their own file.
@Injectable()
export class UpstreamErrorLog implements OnApplicationShutdown {
  private readonly destination: pino.DestinationStream & {
    flushSync(): void;
    end(): void;
  };
  private readonly logger: PinoLogger;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.destination = pino.destination({
      dest: config.UPSTREAM_ERROR_LOG,
      sync: false,
      mkdir: true,
      append: true,
    });
    this.logger = pino(
      loggerOptions({ service: 'gateway', level: 'info' }),
      this.destination,
    );
  }

  record(failure: UpstreamFailure): void {
    this.logger.error(failure, 'upstream failure');
  }

  onApplicationShutdown(): void {
    try {
      this.destination.flushSync();
    } catch {
      // Nothing was buffered or the file is already closed.
    }
  }
}
