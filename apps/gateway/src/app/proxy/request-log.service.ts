import { Injectable } from '@nestjs/common';
import type { BaseLogger } from '@gatehouse/shared/logging';
import { PinoLogger } from '@gatehouse/shared/logging';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RequestContext } from '../request/request-context';

// G-4: exactly one JSON line per proxied request, written when its response is done.
@Injectable()
export class RequestLogService {
  // The proxied path runs outside any request-scoped logger context, so the logger it gets is
  // always the root one: it is looked up once, not through the async context per line.
  private root: BaseLogger | undefined;

  constructor(private readonly logger: PinoLogger) {
    this.logger.setContext('proxy');
  }

  private get out(): BaseLogger {
    return (this.root ??= this.logger.logger);
  }

  write(context: RequestContext): void {
    const { req, res } = context;
    const tunnel = context.tunnel;
    const line = {
      requestId: context.requestId,
      client: context.client,
      method: req.method,
      path: context.path,
      decision: context.decision,
      // What the client was actually sent: nothing (0) when the connection closed first.
      status: context.status || (res.headersSent ? res.statusCode : 0),
      upstreamStatus: context.upstreamStatus,
      delayMs: context.delayMs,
      bytesIn: context.bytesIn,
      bytesOut: context.bytesOut,
      latencyMs: Math.round(context.latencyMs * 100) / 100,
      completed: tunnel === undefined ? res.writableFinished : true,
      error: context.error,
      tunnel:
        tunnel === undefined
          ? undefined
          : {
              bytesToUpstream: tunnel.bytesToUpstream,
              bytesToClient: tunnel.bytesToClient,
              durationMs: Math.round(performance.now() - tunnel.openedAt),
              closedBy: tunnel.closedBy ?? 'client',
            },
    };
    const level =
      context.decision === 'failed'
        ? 'error'
        : context.decision === 'forwarded' || context.decision === 'delayed'
          ? 'info'
          : 'warn';
    this.out[level](line, 'request');
  }

  // A request Node's parser refused before it became a request (slow or oversized headers,
  // bad bytes): still one line, with the status the client was sent.
  writeRefused(socket: Socket, status: number, error: string): void {
    this.out.warn(
      {
        requestId: randomUUID(),
        client: socket.remoteAddress ?? 'unknown',
        method: null,
        path: null,
        decision: 'rejected',
        status,
        upstreamStatus: null,
        delayMs: 0,
        bytesIn: 0,
        bytesOut: socket.bytesWritten,
        latencyMs: 0,
        completed: true,
        error,
      },
      'request',
    );
  }
}
