import { Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { BackendUpstream } from '../request/backend-upstream';

// Readiness: the upstream answers HTTP at all (any status) within a short bound.
@Injectable()
export class UpstreamProbe {
  constructor(private readonly backend: BackendUpstream) {}

  async check(): Promise<void> {
    try {
      // The signal also bounds the wait for a free connection in the shared pool.
      const response = await this.backend.dispatcher.request({
        path: '/',
        method: 'HEAD',
        headersTimeout: 2_000,
        bodyTimeout: 2_000,
        signal: AbortSignal.timeout(2_000),
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
