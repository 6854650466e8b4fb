import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createFileLogger, FileLogger } from '@gatehouse/shared/logging';
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
  private readonly file: FileLogger;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.file = createFileLogger({
      service: 'gateway',
      level: 'info',
      path: config.UPSTREAM_ERROR_LOG,
    });
  }

  record(failure: UpstreamFailure): void {
    this.file.logger.error(failure, 'upstream failure');
  }

  onApplicationShutdown(): void {
    this.file.flush();
  }
}
