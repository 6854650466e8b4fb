import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import axios, { AxiosInstance, AxiosResponse } from 'axios';
import { Agent } from 'node:http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { JwtSigner } from '../jwt/jwt-signer.service';
import { upstreamRequestHeaders } from '../proxy/forward-headers';
import type { RequestContext } from '../proxy/request-context';
import { performance } from 'node:perf_hooks';
import { HedgeTimeoutError, hedgedCall } from './hedged-call';

export const SMART_PATH = '/api/smart';
export const HEDGE_COPIES_HEADER = 'x-hedge-copies';
const SMART_UPSTREAM_PATH = '/api/work';
const MAX_TIMEOUT_MS = 600_000;
// Hedging fires copies of a request, so only methods without side effects qualify.
const HEDGED_METHODS = new Set(['GET', 'HEAD']);
// Headers of the winning answer that no longer describe the body sent to the client.
const DROPPED_ANSWER_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
]);

class UnsuccessfulAnswer extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'UnsuccessfulAnswer';
  }
}

function badQuery(detail: string): ProblemException {
  return new ProblemException({
    status: 400,
    title: 'Bad Request',
    type: 'invalid-query',
    detail,
  });
}

// G-7: GET /api/smart calls the backend's /api/work with the hedging policy; routes
// listed in HEDGE_ROUTES get the same policy for their own path. A success is a 200
// with a JSON body. Served in the proxy pipeline, after the same guards as any request.
@Injectable()
export class HedgedRouteHandler implements OnApplicationShutdown {
  private readonly prefixes: readonly string[];
  private readonly http: AxiosInstance;
  private readonly agent: Agent;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly jwt: JwtSigner,
  ) {
    this.prefixes = config.HEDGE_ROUTES;
    this.agent = new Agent({ keepAlive: true });
    this.http = axios.create({
      baseURL: config.BACKEND_URL.origin,
      httpAgent: this.agent,
      proxy: false,
      maxRedirects: 0,
      responseType: 'text',
      validateStatus: () => true,
    });
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

  // The call's bound, counted from the request's arrival (G-7): ?timeout=, else UPSTREAM_TIMEOUT_MS.
  deadlineMs(context: RequestContext): number {
    const timeoutMs =
      context.path === SMART_PATH
        ? this.timeoutParam(context.target)
        : undefined;
    return timeoutMs ?? this.config.UPSTREAM_TIMEOUT_MS;
  }

  async serve(context: RequestContext): Promise<void> {
    const { req, res } = context;
    const smart = context.path === SMART_PATH;
    // Every answer says how many copies were sent, errors included.
    res.setHeader(HEDGE_COPIES_HEADER, '0');
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
      this.deadlineMs(context) - (performance.now() - context.startedAt),
    );
    if (remainingMs <= 0) throw new HedgeTimeoutError(this.deadlineMs(context));
    const upstreamPath = smart ? SMART_UPSTREAM_PATH : context.target;
    const headers = this.requestHeaders(context);
    const abort = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClose);
    try {
      const { value: answer, copies } = await hedgedCall(
        (signal) => this.attempt(upstreamPath, headers, signal),
        {
          hedgeAfterMs: this.config.HEDGE_AFTER_MS,
          extra: this.config.HEDGE_EXTRA,
          deadlineMs: remainingMs,
          signal: abort.signal,
        },
      );
      context.upstreamStatus = answer.status;
      const body = Buffer.from(answer.data);
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (
          value !== undefined &&
          value !== null &&
          !DROPPED_ANSWER_HEADERS.has(name)
        )
          out[name] = value as string | string[];
      }
      out['content-length'] = String(body.length);
      out['x-request-id'] = context.requestId;
      out[HEDGE_COPIES_HEADER] = String(copies);
      res.writeHead(answer.status, out);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      const copies = (error as { copies?: unknown }).copies;
      if (typeof copies === 'number' && !res.headersSent)
        res.setHeader(HEDGE_COPIES_HEADER, String(copies));
      throw error;
    } finally {
      res.off('close', onClose);
    }
  }

  private async attempt(
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<AxiosResponse<string>> {
    const jwt = this.jwt.header();
    const answer = await this.http.get<string>(path, {
      signal,
      headers: jwt === undefined ? headers : { ...headers, [jwt[0]]: jwt[1] },
    });
    if (answer.status !== 200)
      throw new UnsuccessfulAnswer(`upstream answered ${answer.status}`);
    try {
      JSON.parse(answer.data);
    } catch {
      throw new UnsuccessfulAnswer('upstream answered 200 without a JSON body');
    }
    return answer;
  }

  // ?timeout=<ms> bounds the whole call; no other parameter is accepted.
  private timeoutParam(target: string): number | undefined {
    const query = target.indexOf('?');
    if (query === -1) return undefined;
    const params = new URLSearchParams(target.slice(query + 1));
    for (const name of params.keys())
      if (name !== 'timeout')
        throw badQuery(
          `Unknown query parameter "${name.slice(0, 64)}": only timeout is accepted.`,
        );
    const values = params.getAll('timeout');
    if (values.length === 0) return undefined;
    const value = values[0];
    const ms = /^[1-9]\d{0,8}$/.test(value) ? Number(value) : NaN;
    if (values.length > 1 || !(ms <= MAX_TIMEOUT_MS))
      throw badQuery(
        `timeout must be one integer number of milliseconds in 1..${MAX_TIMEOUT_MS}.`,
      );
    return ms;
  }

  // The client's end-to-end headers and the gateway's own, as for a forwarded request.
  private requestHeaders(context: RequestContext): Record<string, string> {
    const pairs = upstreamRequestHeaders(context.req, {
      upstreamHost: this.config.BACKEND_URL.host,
      requestId: context.requestId,
      peer: context.req.socket.remoteAddress ?? 'unknown',
    });
    const headers: Record<string, string> = {};
    for (let i = 0; i < pairs.length; i += 2) {
      const name = pairs[i].toLowerCase();
      if (name === 'content-length' || name === 'accept-encoding') continue;
      headers[name] =
        headers[name] === undefined
          ? pairs[i + 1]
          : `${headers[name]}, ${pairs[i + 1]}`;
    }
    return headers;
  }

  onApplicationShutdown(): void {
    this.agent.destroy();
  }
}
