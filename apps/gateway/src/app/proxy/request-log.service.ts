import { Injectable } from '@nestjs/common';
import { PinoLogger } from '@gatehouse/shared/logging';
import type { RequestContext } from './request-context';

// G-4: exactly one JSON line per proxied request, written when its response is done.
@Injectable()
export class RequestLogService {
  constructor(private readonly logger: PinoLogger) {
    this.logger.setContext('proxy');
  }

  write(context: RequestContext): void {
    const { req, res } = context;
    const line = {
      requestId: context.requestId,
      client: context.client,
      method: req.method,
      path: context.path,
      decision: context.decision,
      status: context.status || res.statusCode,
      upstreamStatus: context.upstreamStatus,
      delayMs: context.delayMs,
      bytesIn: context.bytesIn,
      bytesOut: context.bytesOut,
      latencyMs: Math.round(context.latencyMs * 100) / 100,
      completed: res.writableFinished,
      error: context.error,
    };
    const level =
      context.decision === 'failed'
        ? 'error'
        : context.decision === 'forwarded' || context.decision === 'delayed'
          ? 'info'
          : 'warn';
    this.logger.logger[level](line, 'request');
  }
}
