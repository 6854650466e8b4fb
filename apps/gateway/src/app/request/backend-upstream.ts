import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import type { UpstreamTarget } from './upstream-target';

// BACKEND_URL's one HTTP client: a keep-alive undici pool shared by forwarding, hedged calls
// and the readiness probe (see docs/adr/0001-hot-path-http-client.md).
@Injectable()
export class BackendUpstream implements UpstreamTarget, OnApplicationShutdown {
  readonly origin: string;
  readonly host: string;
  readonly dispatcher: Pool;
  readonly signed = true;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.origin = config.BACKEND_URL.origin;
    this.host = config.BACKEND_URL.host;
    this.dispatcher = new Pool(this.origin, {
      connections: config.UPSTREAM_CONNECTIONS,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      headersTimeout: config.UPSTREAM_TIMEOUT_MS,
      bodyTimeout: config.UPSTREAM_TIMEOUT_MS,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.close();
  }
}
