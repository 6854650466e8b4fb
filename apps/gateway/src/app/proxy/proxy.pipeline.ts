import { Inject, Injectable, Logger } from '@nestjs/common';
import type { GatewayDecision } from '@gatehouse/shared/contracts';
import {
  ProblemException,
  sendProblem,
  toProblem,
} from '@gatehouse/shared/http';
import { requestIdFor } from '@gatehouse/shared/logging';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { ForwardProxyRouter } from '../forward-proxy/forward-proxy.router';
import { HedgedRouteHandler } from '../hedging/hedged-route.handler';
import { MaliciousRequestGuard } from '../inspection/malicious-request.guard';
import { JwtSigner } from '../jwt/jwt-signer.service';
import { TrafficRecorder } from '../stats/traffic-recorder.service';
import { DuplicateDelayInterceptor } from '../traffic/duplicate-delay.interceptor';
import { InFlightLimitGuard } from '../traffic/in-flight-limit.guard';
import { RateLimitGuard } from '../traffic/rate-limit.guard';
import { ClientAbortedError, hasBody, readBody } from './body-reader';
import { clientAddress } from './client-address';
import { ProxyService } from './proxy.service';
import { RequestContext } from './request-context';
import { RequestLogService } from './request-log.service';
import { UpstreamErrorLog } from './upstream-error.log';
import { errorCode, upstreamProblem } from './upstream-failure';

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
    private readonly inFlight: InFlightLimitGuard,
    private readonly malicious: MaliciousRequestGuard,
    private readonly duplicates: DuplicateDelayInterceptor,
    private readonly proxy: ProxyService,
    private readonly requestLog: RequestLogService,
    private readonly upstreamErrors: UpstreamErrorLog,
    private readonly rateLimit: RateLimitGuard,
    private readonly forwardProxy: ForwardProxyRouter,
    private readonly hedging: HedgedRouteHandler,
    private readonly jwt: JwtSigner,
    private readonly recorder: TrafficRecorder,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const context = new RequestContext(
      req,
      res,
      requestIdFor(req, res),
      clientAddress(req, this.config.TRUST_PROXY),
      performance.now(),
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
    res.once('close', settled);
    this.process(context)
      .catch((error: unknown) => this.fail(context, error))
      .finally(settled);
  }

  private async process(context: RequestContext): Promise<void> {
    const { req } = context;
    const target = context.target;
    if (req.method === 'CONNECT') {
      throw new ProblemException({
        status: 405,
        title: 'Method Not Allowed',
        type: 'connect-not-allowed',
        detail: 'CONNECT is not supported.',
        headers: { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' },
      });
    }
    // Anything but origin-form is forward-proxy traffic: allowed hosts only (G-9).
    const upstream =
      target.charCodeAt(0) === 0x2f /* / */
        ? this.proxy.backend
        : this.forwardProxy.resolve(target);
    context.upstreamOrigin = upstream.origin;
    if (this.rateLimit.enabled) await this.rateLimit.check(context.client);
    const release = this.inFlight.acquire();
    try {
      if (hasBody(req)) {
        const limit = this.config.MAX_BODY_BYTES;
        const read = await readBody(req, limit);
        context.body = read.body;
        context.bodyComplete = read.complete;
        context.bytesIn = read.complete
          ? read.body.length
          : Number(req.headers['content-length']) || read.body.length;
      }
      const replay = await this.duplicates.observe(context);
      this.malicious.check(context);
      if (replay) await this.duplicates.hold(context);
      if (context.abandoned) return;
      if (upstream !== this.proxy.backend)
        await this.proxy.forward(context, upstream);
      else if (this.hedging.handles(context)) await this.hedging.serve(context);
      // Only the backend gets the signed identity, never a forward-proxy host (G-8).
      else await this.proxy.forward(context, upstream, this.jwt.header());
    } finally {
      release();
    }
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
        upstream: context.upstreamOrigin || this.proxy.backend.origin,
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
    // The rest of an unread body would otherwise be parsed as the next request.
    if (!context.bodyComplete) res.shouldKeepAlive = false;
    sendProblem(res, body, headers);
    if (!upstreamFailed && status >= 500)
      this.logger.warn(
        { requestId: context.requestId, status },
        'request shed',
      );
  }
}
