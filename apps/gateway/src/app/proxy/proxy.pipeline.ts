import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ExternalContextCreator } from '@nestjs/core';
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
import { BackendUpstream } from '../request/backend-upstream';
import { ClientAbortedError } from '../request/body-reader';
import { clientAddress } from '../request/client-address';
import { placeOn } from '../request/connection-order';
import { RequestContext } from '../request/request-context';
import { errorCode, upstreamProblem } from '../request/upstream-failure';
import { TrafficRecorder } from '../stats/traffic-recorder.service';
import { ProxyController } from './proxy.controller';
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

type ProxyHandler = (
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<void>;

function decisionFor(status: number): GatewayDecision {
  if (status === 401) return 'blocked';
  if (status === 502 || status === 504) return 'failed';
  return 'rejected';
}

// Every proxied request's way in and out: its context, its place on the connection, the
// choice of upstream, then ProxyController through Nest's guard and interceptor consumers,
// then the log line, and problem+json for whatever was refused or failed. It runs outside
// Nest's router on purpose: see docs/adr/0001-hot-path-http-client.md.
@Injectable()
export class ProxyPipeline implements OnModuleInit {
  private readonly logger = new Logger(ProxyPipeline.name);
  private handler!: ProxyHandler;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly contexts: ExternalContextCreator,
    private readonly controller: ProxyController,
    private readonly requestLog: RequestLogService,
    private readonly upstreamErrors: UpstreamErrorLog,
    private readonly forwardProxy: ForwardProxyRouter,
    private readonly backend: BackendUpstream,
    private readonly recorder: TrafficRecorder,
  ) {}

  // The controller's guards and interceptors are resolved once; exceptions come back to
  // fail() below, which answers with the same problem+json the shared filter writes.
  onModuleInit(): void {
    this.handler = this.contexts.create(
      this.controller,
      this.controller.forward as (...args: unknown[]) => unknown,
      'forward',
      undefined,
      undefined,
      undefined,
      undefined,
      { guards: true, interceptors: true, filters: false },
      'http',
    ) as ProxyHandler;
  }

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
    const place = placeOn(req.socket);
    context.place = place;
    const failed = (error: unknown) => {
      place.cut();
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
    try {
      if (arrival.kind === 'refused') throw arrival.problem;
      if (arrival.kind === 'websocket') context.upgradeHead = arrival.head;
      // Anything but origin-form is forward-proxy traffic: allowed hosts only (G-9).
      const target = context.target;
      const upstream =
        target.charCodeAt(0) === 0x2f /* / */
          ? this.backend
          : this.forwardProxy.resolve(target);
      context.upstream = upstream;
    } catch (error) {
      failed(error);
      return;
    }
    this.handler(req, res).then(done, failed);
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
        upstream: (context.upstream ?? this.backend).origin,
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
