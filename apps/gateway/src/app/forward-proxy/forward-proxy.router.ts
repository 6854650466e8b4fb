import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { Pool } from 'undici';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import type { UpstreamTarget } from '../request/upstream-target';

// Scheme, then the authority up to the first character that ends it.
const ABSOLUTE_FORM = /^http:\/\/([^/?#]+)(.*)$/i;
const CONNECTIONS_PER_HOST = 32;

// G-9: with FORWARD_PROXY_ALLOW set, an absolute-form request to an allowed host is
// forwarded there (after the same inspection); any other host gets 403. One
// keep-alive pool per allowed host, created on first use, so the set stays bounded.
@Injectable()
export class ForwardProxyRouter implements OnApplicationShutdown {
  private readonly allowed: ReadonlySet<string>;
  private readonly pools = new Map<string, Pool>();

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.allowed = new Set(config.FORWARD_PROXY_ALLOW);
  }

  // The upstream for a request-target that is not origin-form, or a 403.
  resolve(target: string): UpstreamTarget {
    if (this.allowed.size === 0) {
      throw ProblemException.of(
        403,
        'forward-proxy-off',
        'Only origin-form request targets are served: forward-proxy mode is off.',
      );
    }
    const match = ABSOLUTE_FORM.exec(target);
    if (match === null || match[1].includes('@'))
      throw ProblemException.of(
        403,
        'forward-proxy-denied',
        'Only http:// absolute-form targets without credentials are served in forward-proxy mode.',
      );
    const [, authority, rest] = match;
    let url: URL;
    try {
      url = new URL(`http://${authority}/`);
    } catch {
      throw ProblemException.of(
        403,
        'forward-proxy-denied',
        'The target host is not valid.',
      );
    }
    const key = `${url.hostname}:${url.port || '80'}`;
    if (!this.allowed.has(key))
      throw ProblemException.of(
        403,
        'forward-proxy-denied',
        'The target host is not on the forward-proxy allowlist.',
      );
    // The path and query bytes go on exactly as the client sent them (G-1).
    const path =
      rest === '' ? '/' : rest.charCodeAt(0) === 0x3f ? `/${rest}` : rest;
    return {
      origin: url.origin,
      host: url.host,
      dispatcher: this.pool(key, url.origin),
      signed: this.config.FORWARD_PROXY_JWT,
      path,
    };
  }

  private pool(key: string, origin: string): Pool {
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: CONNECTIONS_PER_HOST,
        keepAliveTimeout: 4_000,
        headersTimeout: this.config.UPSTREAM_TIMEOUT_MS,
        bodyTimeout: this.config.UPSTREAM_TIMEOUT_MS,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }
}
