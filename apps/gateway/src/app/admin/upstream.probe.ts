import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { request } from 'undici';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';

// Readiness: the upstream answers HTTP at all (any status) within a short bound.
@Injectable()
export class UpstreamProbe {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  async check(): Promise<void> {
    try {
      const response = await request(this.config.BACKEND_URL.origin, {
        method: 'HEAD',
        headersTimeout: 2_000,
        bodyTimeout: 2_000,
      });
      await response.body.dump();
    } catch {
      throw new ProblemException({
        status: 503,
        title: 'Service Unavailable',
        type: 'not-ready',
        detail: 'The upstream is not reachable.',
        extensions: { checks: { upstream: 'down' } },
      });
    }
  }
}
