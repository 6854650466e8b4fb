import {
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client, Pool } from 'undici';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import type { UpstreamTarget } from './upstream-target';

// BACKEND_URL's one HTTP client: a keep-alive undici pool shared by forwarding, hedged calls
// and the readiness probe (see docs/adr/0001-hot-path-http-client.md).
@Injectable()
export class BackendUpstream
  implements UpstreamTarget, OnApplicationBootstrap, OnApplicationShutdown
{
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

  // undici compiles its HTTP parser (WebAssembly) on its first connection, which takes tens of
  // milliseconds on a loaded machine. That is paid here, against a throwaway local listener,
  // rather than by the first forwarded request or the first hedged copy (G-7 timing).
  async onApplicationBootstrap(): Promise<void> {
    const listener = createServer((socket) =>
      socket.end('HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n'),
    );
    await new Promise<void>((resolve) =>
      listener.listen(0, '127.0.0.1', resolve),
    );
    const { port } = listener.address() as AddressInfo;
    const client = new Client(`http://127.0.0.1:${port}`);
    try {
      const response = await client.request({ path: '/', method: 'GET' });
      await response.body.dump();
    } catch {
      // Warming is an optimisation: forwarding works without it.
    } finally {
      await client.destroy();
      listener.close();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.close();
  }
}
