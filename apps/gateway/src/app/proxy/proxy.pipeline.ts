import { Inject, Injectable, Logger } from '@nestjs/common';
import type { GatewayDecision } from '@gatehouse/shared/contracts';
import {
  ProblemException,
  sendProblem,
  toProblem,
} from '@gatehouse/shared/http';
import { requestIdFor } from '@gatehouse/shared/logging';
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { ForwardProxyRouter } from '../forward-proxy/forward-proxy.router';
import {
  HEDGE_COPIES_HEADER,
  HedgedRouteHandler,
} from '../hedging/hedged-route.handler';
import { MaliciousPayloadInspector } from '../inspection/malicious-payload.inspector';
import { BackendUpstream } from '../request/backend-upstream';
import {
  BodyTimeoutError,
  ClientAbortedError,
  hasBody,
  readBody,
} from '../request/body-reader';
import { clientAddress } from '../request/client-address';
import { RequestContext } from '../request/request-context';
import type { UpstreamTarget } from '../request/upstream-target';
import { errorCode, upstreamProblem } from '../request/upstream-failure';
import { TrafficRecorder } from '../stats/traffic-recorder.service';
import { DuplicateDelay } from '../traffic/duplicate-delay.service';
import { InFlightLimit } from '../traffic/in-flight.limit';
import { PendingBodyLimit } from '../traffic/pending-body.limit';
import { RateLimit } from '../traffic/rate.limit';
import { WebSocketTunnels } from '../websocket/websocket-tunnel.service';
import { ProxyService } from './proxy.service';
import { RequestLogService } from './request-log.service';
import { UpstreamErrorLog } from './upstream-error.log';

// How a request reached the pipeline.
export type Arrival =
  | { kind: 'request' }
  // Refused by the framing checks before anything else (G-1).
  | { kind: 'refused'; problem: ProblemException }
  // An `Upgrade: websocket` handshake: tunnelled once it passes (G-1).
  | { kind: 'websocket'; head: Buffer };

const PLAIN_REQUEST: Arrival = { kind: 'request' };

// Requests on one connection in arrival order. Pipelined requests are decided in that order,
// and none after an error answer is forwarded: that answer closes the connection.
interface ConnectionOrder {
  next: number;
  cutAfter: number;
  last: Turn | undefined;
}

// One request's place in its connection's order. A promise is made only when a later request
// has to wait for this one, which plain keep-alive traffic never does.
class Turn {
  decided = false;
  private waiting: Promise<void> | undefined;
  private release: (() => void) | undefined;

  decide(): void {
    if (this.decided) return;
    this.decided = true;
    this.release?.();
  }

  wait(): Promise<void> {
    return (this.waiting ??= new Promise<void>((resolve) => {
      if (this.decided) resolve();
      else this.release = resolve;
    }));
  }
}

const connections = new WeakMap<Socket, ConnectionOrder>();

function orderOf(socket: Socket): ConnectionOrder {
  let order = connections.get(socket);
  if (order === undefined) {
    order = { next: 0, cutAfter: Infinity, last: undefined };
    connections.set(socket, order);
  }
  return order;
}

// Where a request stands in its connection's order, handed down the pipeline's steps.
interface Place {
  order: ConnectionOrder;
  seq: number;
  previous: Turn | undefined;
  turn: Turn;
}

function bodyTimeout(error: BodyTimeoutError): ProblemException {
  return new ProblemException({
    status: 408,
    title: 'Request Timeout',
    type: 'body-timeout',
    detail: `The request body did not arrive within ${error.timeoutMs} ms.`,
  });
}

function decisionFor(status: number): GatewayDecision {
  if (status === 401) return 'blocked';
  if (status === 502 || status === 504) return 'failed';
  return 'rejected';
}

// The per-request path of every proxied request: guards, then the duplicate hold, then forwarding.
// It runs outside Nest's router on purpose: see docs/adr/0001-hot-path-http-client.md.
@Injectable()
export class ProxyPipeline {
  private readonly logger = new Logger(ProxyPipeline.name);

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly inFlight: InFlightLimit,
    private readonly malicious: MaliciousPayloadInspector,
    private readonly duplicates: DuplicateDelay,
    private readonly proxy: ProxyService,
    private readonly requestLog: RequestLogService,
    private readonly upstreamErrors: UpstreamErrorLog,
    private readonly rateLimit: RateLimit,
    private readonly forwardProxy: ForwardProxyRouter,
    private readonly hedging: HedgedRouteHandler,
    private readonly backend: BackendUpstream,
    private readonly recorder: TrafficRecorder,
    private readonly pendingBodies: PendingBodyLimit,
    private readonly tunnels: WebSocketTunnels,
  ) {}

  // An upgrade request arrives with its socket and no response object: one is made for it,
  // so that refusals are ordinary problem+json answers and the log line is written as usual.
  handleUpgrade(req: IncomingMessage, socket: Socket, arrival: Arrival): void {
    // Nothing listens on a socket once Node hands it over: a reset must not crash the process.
    socket.on('error', () => socket.destroy());
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    // The socket stays assigned: its close is the response's close, which writes the log line
    // (G-4) for refusals, plain answers and tunnels alike.
    res.once('finish', () => socket.destroySoon());
    this.handle(req, res, arrival);
  }

  // `path` is passed when the caller has already split the target at its query.
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    arrival: Arrival = PLAIN_REQUEST,
    path?: string,
  ): void {
    const context = new RequestContext(
      req,
      res,
      requestIdFor(req),
      clientAddress(req, this.config.TRUST_PROXY),
      performance.now(),
      path,
    );
    // The line is written once both the response is closed and processing has settled, so a
    // failure that closes the response first is still recorded as one.
    let pending = 2;
    const settled = () => {
      if (--pending !== 0) return;
      context.latencyMs = performance.now() - context.startedAt;
      this.requestLog.write(context);
      this.recorder.record(context);
    };
    res.once('close', () => {
      // The client left before its answer was finished: the upstream exchange is cut.
      if (!res.writableFinished) context.exchange?.abort();
      settled();
    });
    const order = orderOf(req.socket);
    const place: Place = {
      order,
      seq: order.next++,
      previous: order.last,
      turn: new Turn(),
    };
    order.last = place.turn;
    const failed = (error: unknown) => {
      order.cutAfter = Math.min(order.cutAfter, place.seq);
      place.turn.decide();
      try {
        this.fail(context, error);
      } finally {
        settled();
      }
    };
    const done = () => {
      place.turn.decide();
      settled();
    };
    // Steps whose decision is synchronous run without a promise; the first one that has to
    // wait (a body, a store round trip, a hold, an earlier request, the upstream) returns one.
    let running: Promise<void> | undefined;
    try {
      if (arrival.kind === 'refused') throw arrival.problem;
      running = this.process(context, arrival, place);
    } catch (error) {
      failed(error);
      return;
    }
    if (running === undefined) done();
    else running.then(done, failed);
  }

  private process(
    context: RequestContext,
    arrival: Arrival,
    place: Place,
  ): Promise<void> | undefined {
    const req = context.req;
    const target = context.target;
    // Anything but origin-form is forward-proxy traffic: allowed hosts only (G-9).
    const upstream =
      target.charCodeAt(0) === 0x2f /* / */
        ? this.backend
        : this.forwardProxy.resolve(target);
    context.upstreamOrigin = upstream.origin;
    const withBody = hasBody(req);
    if (this.rateLimit.enabled || withBody)
      return this.limitAndRead(context, arrival, place, upstream, withBody);
    return this.inspect(context, arrival, place, upstream);
  }

  private async limitAndRead(
    context: RequestContext,
    arrival: Arrival,
    place: Place,
    upstream: UpstreamTarget,
    withBody: boolean,
  ): Promise<void> {
    const req = context.req;
    if (this.rateLimit.enabled) await this.rateLimit.check(context.client);
    if (withBody) {
      // A body still arriving holds no upstream slot (G-6): it is bounded per client and in time.
      const releasePending = this.pendingBodies.acquire(context.client);
      try {
        const read = await readBody(
          req,
          this.config.MAX_BODY_BYTES,
          this.config.BODY_TIMEOUT_MS,
        );
        context.body = read.body;
        context.bodyComplete = read.complete;
        context.bytesIn = read.complete
          ? read.body.length
          : Number(req.headers['content-length']) || read.body.length;
      } catch (error) {
        if (error instanceof BodyTimeoutError) throw bodyTimeout(error);
        throw error;
      } finally {
        releasePending();
      }
    }
    return this.inspect(context, arrival, place, upstream);
  }

  private inspect(
    context: RequestContext,
    arrival: Arrival,
    place: Place,
    upstream: UpstreamTarget,
  ): Promise<void> | undefined {
    const replay = this.duplicates.observe(context);
    if (typeof replay === 'boolean')
      return this.holdAndForward(context, arrival, place, upstream, replay);
    return replay.then((replayed) =>
      this.holdAndForward(context, arrival, place, upstream, replayed),
    );
  }

  private holdAndForward(
    context: RequestContext,
    arrival: Arrival,
    place: Place,
    upstream: UpstreamTarget,
    replay: boolean,
  ): Promise<void> | undefined {
    this.malicious.check(context);
    const backend = upstream === this.backend;
    const hedged =
      backend && arrival.kind === 'request' && this.hedging.handles(context);
    // Hedged routes keep their own policy (G-3, G-7): exempt from the hold unless configured,
    // and a hold never takes a call past its timeout.
    // The hedged call's deadline, read once here and handed to the handler; undefined when the
    // request is not hedged.
    let hedgeDeadlineMs: number | undefined;
    let holdCapMs = Infinity;
    if (hedged) {
      context.stampRequestId();
      context.res.setHeader(HEDGE_COPIES_HEADER, '0');
      hedgeDeadlineMs = this.hedging.deadlineMs(context);
      holdCapMs = hedgeDeadlineMs - (performance.now() - context.startedAt);
    }
    if (replay && (!hedged || this.config.DUPLICATE_DELAY_HEDGED))
      return this.duplicates
        .hold(context, holdCapMs)
        .then(() =>
          this.inTurn(context, arrival, place, upstream, hedgeDeadlineMs),
        );
    return this.inTurn(context, arrival, place, upstream, hedgeDeadlineMs);
  }

  // Earlier requests on the connection are decided first; after an error answer, nothing
  // more on it is forwarded.
  private inTurn(
    context: RequestContext,
    arrival: Arrival,
    place: Place,
    upstream: UpstreamTarget,
    hedgeDeadlineMs: number | undefined,
  ): Promise<void> | undefined {
    const previous = place.previous;
    if (previous === undefined || previous.decided) {
      place.turn.decide();
      return this.send(context, arrival, place, upstream, hedgeDeadlineMs);
    }
    return previous.wait().then(() => {
      place.turn.decide();
      return this.send(context, arrival, place, upstream, hedgeDeadlineMs);
    });
  }

  private send(
    context: RequestContext,
    arrival: Arrival,
    place: Place,
    upstream: UpstreamTarget,
    hedgeDeadlineMs: number | undefined,
  ): Promise<void> | undefined {
    if (context.abandoned) return undefined;
    if (place.seq > place.order.cutAfter) {
      context.decision = 'rejected';
      context.error = 'connection-closed';
      context.res.destroy();
      return undefined;
    }
    if (arrival.kind === 'websocket')
      return this.tunnels.open(context, upstream, arrival.head);
    // Only now is the upstream working on it: a slot is taken (G-6).
    const release = this.inFlight.acquire();
    let exchange: Promise<void>;
    try {
      exchange =
        hedgeDeadlineMs === undefined
          ? this.proxy.forward(context, upstream)
          : this.hedging.serve(context, hedgeDeadlineMs);
    } catch (error) {
      release();
      throw error;
    }
    return exchange.then(release, (error: unknown) => {
      release();
      throw error;
    });
  }

  private fail(context: RequestContext, error: unknown): void {
    const { req, res } = context;
    if (error instanceof ClientAbortedError) {
      context.decision = 'rejected';
      context.error = 'client-aborted';
      res.destroy();
      return;
    }
    const upstreamFailed = !(error instanceof ProblemException);
    const problem = upstreamFailed ? upstreamProblem(error) : error;
    const status = problem.getStatus();
    context.decision = decisionFor(status);
    context.status = status;
    if (upstreamFailed) {
      context.error = errorCode(error);
      if (context.error === 'AbortError' && context.abandoned) {
        context.decision = 'rejected';
        return;
      }
      this.upstreamErrors.record({
        requestId: context.requestId,
        method: req.method ?? '',
        path: context.path,
        upstream: context.upstreamOrigin || this.backend.origin,
        status,
        code: context.error,
        error: (error as Error)?.message ?? String(error),
        latencyMs: Math.round(performance.now() - context.startedAt),
      });
    }
    if (res.headersSent) {
      // The answer was already under way: all that is left is to cut it off.
      res.destroy();
      return;
    }
    const { problem: body, headers } = toProblem(
      problem,
      Object.assign(req, { id: context.requestId }),
    );
    // Every error answer closes the connection: the rest of an unread body, or a request
    // pipelined behind this one, is never parsed as a request of its own.
    res.shouldKeepAlive = false;
    context.stampRequestId();
    sendProblem(res, body, headers);
    if (!upstreamFailed && status >= 500)
      this.logger.warn(
        { requestId: context.requestId, status },
        'request shed',
      );
  }
}
