import type { GatewayDecision } from '@gatehouse/shared/contracts';
import { REQUEST_ID_HEADER } from '@gatehouse/shared/logging';
import type { ExecutionContext } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Place } from './connection-order';
import { HeaderNames, readHeaderNames } from './header-names';
import { pathOf } from './request-target';
import type { UpstreamTarget } from './upstream-target';

// The request under way on a response, for answers written outside the pipeline. A property
// of the response rather than a WeakMap entry: a WeakMap written per request kept the garbage
// collector busy with entries whose keys died young.
const CONTEXT = Symbol('gateway.request-context');

type WithContext = ServerResponse & { [CONTEXT]?: RequestContext };

export function contextOf(res: ServerResponse): RequestContext | undefined {
  return (res as WithContext)[CONTEXT];
}

// The proxied request a guard or interceptor is deciding on. The proxy handler is called with
// (req, res), as a route handler is, and the context rides on the response.
export function proxiedRequest(execution: ExecutionContext): RequestContext {
  return (execution.getArgByIndex<ServerResponse>(1) as WithContext)[CONTEXT]!;
}

// Everything the gateway learns about one request, written once as its log line.
export class RequestContext {
  decision: GatewayDecision = 'forwarded';
  status = 0;
  upstreamStatus: number | null = null;
  delayMs = 0;
  bytesIn = 0;
  // Set once when the request settles; the log line and the histogram both read it.
  latencyMs = 0;
  // The buffered body; `bodyComplete` is false when it was too large and the rest is still unread.
  body: Buffer = EMPTY;
  bodyComplete = true;
  error: string | undefined;
  readonly path: string;
  // Where the request goes: the backend, or an allowed forward-proxy host (G-9).
  upstream: UpstreamTarget | undefined;
  // Its place in its connection's order of requests.
  place: Place | undefined;
  // Set for a WebSocket handshake: the bytes that arrived after its headers (G-1).
  upgradeHead: Buffer | undefined;
  // Whether it replays the client's previous request (G-3); decided before inspection.
  replay = false;
  // The hedged call's deadline in ms from arrival; undefined when the request is not hedged (G-7).
  hedgeDeadlineMs: number | undefined;
  // The exchange with the upstream while one is under way: cut when the client leaves.
  exchange: { abort(): void } | undefined;
  // Set when the request became a WebSocket tunnel (G-1).
  tunnel: TunnelStats | undefined;
  private readonly bytesWrittenBefore: number;
  private names: HeaderNames | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly client: string,
    readonly startedAt: number,
    // The path when the caller has already split it from the query.
    path?: string,
  ) {
    this.path = path ?? pathOf(req.url ?? '/');
    this.bytesWrittenBefore = req.socket.bytesWritten;
    (res as WithContext)[CONTEXT] = this;
  }

  // Every answer carries the request id. A forwarded answer writes it with the upstream's
  // fields in one writeHead; any other answer sets it first with this.
  stampRequestId(): void {
    if (!this.res.headersSent)
      this.res.setHeader(REQUEST_ID_HEADER, this.requestId);
  }

  get headerNames(): HeaderNames {
    return (this.names ??= readHeaderNames(this.req.rawHeaders));
  }

  // Bytes written to the client for this response, status line and headers included.
  get bytesOut(): number {
    return this.req.socket.bytesWritten - this.bytesWrittenBefore;
  }

  get target(): string {
    return this.req.url ?? '/';
  }

  // True once the client has gone: nothing more should be sent upstream for it.
  get abandoned(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }
}

const EMPTY = Buffer.alloc(0);

export interface TunnelStats {
  openedAt: number;
  bytesToUpstream: number;
  bytesToClient: number;
  closedBy: 'client' | 'upstream' | 'idle' | undefined;
}
