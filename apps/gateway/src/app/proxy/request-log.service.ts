import { Injectable } from '@nestjs/common';
import type { BaseLogger } from '@gatehouse/shared/logging';
import {
  jsonNumber,
  jsonString,
  PinoLogger,
  writeJsonLine,
} from '@gatehouse/shared/logging';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Level } from 'pino';
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

  // Built by hand from known fields, in the order and form pino would write them: this is the
  // one line written per request, and pino's generic serialisation was a tenth of the hot path.
  write(context: RequestContext): void {
    const { req, res } = context;
    const level: Level =
      context.decision === 'failed'
        ? 'error'
        : context.decision === 'forwarded' || context.decision === 'delayed'
          ? 'info'
          : 'warn';
    const out = this.out;
    if (!out.isLevelEnabled(level)) return;
    const tunnel = context.tunnel;
    const method = req.method;
    const upstreamStatus = context.upstreamStatus;
    const error = context.error;
    // What the client was actually sent: nothing (0) when the connection closed first.
    const status = context.status || (res.headersSent ? res.statusCode : 0);
    let fields =
      `,"requestId":${jsonString(context.requestId)}` +
      `,"client":${jsonString(context.client)}` +
      (method === undefined ? '' : `,"method":${jsonString(method)}`) +
      `,"path":${jsonString(context.path)}` +
      `,"decision":"${context.decision}"` +
      `,"status":${jsonNumber(status)}` +
      `,"upstreamStatus":${upstreamStatus === null ? 'null' : jsonNumber(upstreamStatus)}` +
      `,"delayMs":${jsonNumber(context.delayMs)}` +
      `,"bytesIn":${jsonNumber(context.bytesIn)}` +
      `,"bytesOut":${jsonNumber(context.bytesOut)}` +
      `,"latencyMs":${jsonNumber(Math.round(context.latencyMs * 100) / 100)}` +
      `,"completed":${tunnel === undefined ? res.writableFinished : true}`;
    if (error !== undefined) fields += `,"error":${jsonString(error)}`;
    if (tunnel !== undefined)
      fields += `,"tunnel":${JSON.stringify({
        bytesToUpstream: tunnel.bytesToUpstream,
        bytesToClient: tunnel.bytesToClient,
        durationMs: Math.round(performance.now() - tunnel.openedAt),
        closedBy: tunnel.closedBy ?? 'client',
      })}`;
    writeJsonLine(out, level, fields, 'request');
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
