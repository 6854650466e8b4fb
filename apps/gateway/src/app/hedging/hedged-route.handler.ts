import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { performance } from 'node:perf_hooks';
import type { IncomingHttpHeaders } from 'node:http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { BackendUpstream } from '../request/backend-upstream';
import { clientResponseHeaders } from '../request/forward-headers';
import type { RequestContext } from '../request/request-context';
import { queryOf } from '../request/request-target';
import { UpstreamHeaders } from '../request/upstream-headers';
import { HedgeTimeoutError, hedgedCall } from './hedged-call';

export const SMART_PATH = '/api/smart';
export const HEDGE_COPIES_HEADER = 'x-hedge-copies';
const SMART_UPSTREAM_PATH = '/api/work';
const MAX_TIMEOUT_MS = 600_000;
// Hedging fires copies of a request, so only methods without side effects qualify.
const HEDGED_METHODS = new Set(['GET', 'HEAD']);
// Request headers that describe the client's body or its accepted encodings: a hedged call
// sends no body and reads the answer as text.
const DROPPED_REQUEST_HEADERS = new Set(['content-length', 'accept-encoding']);

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

class UnsuccessfulAnswer extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'UnsuccessfulAnswer';
  }
}

// G-7: GET /api/smart calls the backend's /api/work with the hedging policy; routes
// listed in HEDGE_ROUTES get the same policy for their own path. A success is a 200
// with a JSON body. Served in the proxy pipeline, after the same guards as any request.
@Injectable()
export class HedgedRouteHandler {
  private readonly prefixes: readonly string[];

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly backend: BackendUpstream,
    private readonly headers: UpstreamHeaders,
  ) {
    this.prefixes = config.HEDGE_ROUTES;
  }

  handles(context: RequestContext): boolean {
    const path = context.path;
    if (path === SMART_PATH) return true;
    if (
      this.prefixes.length === 0 ||
      !HEDGED_METHODS.has(context.req.method ?? '')
    )
      return false;
    return this.prefixes.some((prefix) => path.startsWith(prefix));
  }

  // Whether the proxy serves this request as a hedged call: a hedged route of the backend,
  // and not a WebSocket handshake.
  hedges(context: RequestContext): boolean {
    return (
      context.upstream === this.backend &&
      context.upgradeHead === undefined &&
      this.handles(context)
    );
  }

  // Starts a hedged request's answer, which says how many copies were sent even on an error,
  // and reads the call's deadline: once, before any hold.
  begin(context: RequestContext): number {
    context.stampRequestId();
    context.res.setHeader(HEDGE_COPIES_HEADER, '0');
    return this.deadlineMs(context);
  }

  // The call's bound, counted from the request's arrival (G-7): ?timeout=, else UPSTREAM_TIMEOUT_MS.
  deadlineMs(context: RequestContext): number {
    const timeoutMs =
      context.path === SMART_PATH
        ? this.timeoutParam(context.target)
        : undefined;
    return timeoutMs ?? this.config.UPSTREAM_TIMEOUT_MS;
  }

  // Called after begin(), which stamped the answer's headers. deadlineMs: read once, before any
  // hold; a direct caller may leave it out.
  async serve(
    context: RequestContext,
    deadlineMs = this.deadlineMs(context),
  ): Promise<void> {
    const { req, res } = context;
    const smart = context.path === SMART_PATH;
    if (!HEDGED_METHODS.has(req.method ?? '')) {
      throw new ProblemException({
        status: 405,
        title: 'Method Not Allowed',
        type: 'method-not-allowed',
        detail: `${SMART_PATH} answers GET and HEAD only.`,
        headers: { allow: 'GET, HEAD' },
      });
    }
    const remainingMs = Math.floor(
      deadlineMs - (performance.now() - context.startedAt),
    );
    if (remainingMs <= 0) throw new HedgeTimeoutError(deadlineMs);
    const upstreamPath = smart ? SMART_UPSTREAM_PATH : context.target;
    // The pipeline cuts the exchange when the client leaves before its answer.
    const abort = new AbortController();
    context.exchange = { abort: () => abort.abort() };
    try {
      const { value: answer, copies } = await hedgedCall(
        (signal) => this.attempt(context, upstreamPath, signal),
        {
          hedgeAfterMs: this.config.HEDGE_AFTER_MS,
          extra: this.config.HEDGE_EXTRA,
          deadlineMs: remainingMs,
          signal: abort.signal,
        },
      );
      context.upstreamStatus = answer.status;
      const body = answer.body;
      // The winner's end-to-end headers, as any forwarded answer has them (hop-by-hop ones and
      // those its Connection lists dropped); the body is sent whole, with its length.
      const out = clientResponseHeaders(answer.headers, context.requestId);
      out['content-length'] = String(body.length);
      out[HEDGE_COPIES_HEADER] = String(copies);
      res.writeHead(answer.status, out);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      const copies = (error as { copies?: unknown }).copies;
      if (typeof copies === 'number' && !res.headersSent)
        res.setHeader(HEDGE_COPIES_HEADER, String(copies));
      throw error;
    } finally {
      context.exchange = undefined;
    }
  }

  // One copy: a GET on the backend's pool, bounded only by the call's deadline and signal.
  private async attempt(
    context: RequestContext,
    path: string,
    signal: AbortSignal,
  ): Promise<Answer> {
    const pairs = this.headers.for(context, this.backend);
    const headers: string[] = [];
    for (let i = 0; i < pairs.length; i += 2)
      if (!DROPPED_REQUEST_HEADERS.has(pairs[i].toLowerCase()))
        headers.push(pairs[i], pairs[i + 1]);
    const response = await this.backend.dispatcher.request({
      path,
      method: 'GET',
      headers,
      signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new UnsuccessfulAnswer(`upstream answered ${response.statusCode}`);
    }
    const body = Buffer.from(await response.body.arrayBuffer());
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      throw new UnsuccessfulAnswer('upstream answered 200 without a JSON body');
    }
    return { status: response.statusCode, headers: response.headers, body };
  }

  // ?timeout=<ms> bounds the whole call; no other parameter is accepted.
  private timeoutParam(target: string): number | undefined {
    const query = queryOf(target);
    if (query === undefined) return undefined;
    const params = new URLSearchParams(query);
    for (const name of params.keys())
      if (name !== 'timeout')
        throw ProblemException.badRequest(
          'invalid-query',
          `Unknown query parameter "${name.slice(0, 64)}": only timeout is accepted.`,
        );
    const values = params.getAll('timeout');
    if (values.length === 0) return undefined;
    const value = values[0];
    const ms = /^[1-9]\d{0,8}$/.test(value) ? Number(value) : NaN;
    if (values.length > 1 || !(ms <= MAX_TIMEOUT_MS))
      throw ProblemException.badRequest(
        'invalid-query',
        `timeout must be one integer number of milliseconds in 1..${MAX_TIMEOUT_MS}.`,
      );
    return ms;
  }
}
