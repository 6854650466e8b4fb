import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Readable, Writable } from 'node:stream';
import { Dispatcher, Pool } from 'undici';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { remainingBody } from './body-reader';
import {
  clientResponseHeaders,
  upstreamRequestHeaders,
} from './forward-headers';
import type { RequestContext } from './request-context';

export interface UpstreamTarget {
  dispatcher: Dispatcher;
  origin: string;
  host: string;
  // Request-target sent upstream when it is not the client's (forward-proxy mode).
  path?: string;
}

// G-1: streams the request to the upstream and the answer back, bytes untouched.
@Injectable()
export class ProxyService implements OnApplicationShutdown {
  readonly backend: UpstreamTarget;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    const origin = config.BACKEND_URL.origin;
    this.backend = {
      origin,
      host: config.BACKEND_URL.host,
      dispatcher: new Pool(origin, {
        connections: config.UPSTREAM_CONNECTIONS,
        pipelining: 1,
        keepAliveTimeout: 4_000,
        headersTimeout: config.UPSTREAM_TIMEOUT_MS,
        bodyTimeout: config.UPSTREAM_TIMEOUT_MS,
      }),
    };
  }

  async forward(
    context: RequestContext,
    target: UpstreamTarget,
    extraHeaders?: readonly string[],
  ): Promise<void> {
    const { req, res } = context;
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClose);
    const body: Buffer | AsyncIterable<Buffer> | null = !context.bodyComplete
      ? remainingBody(context.body, req)
      : context.body.length > 0
        ? context.body
        : null;
    try {
      await target.dispatcher.stream(
        {
          path: target.path ?? context.target,
          method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
          headers: upstreamRequestHeaders(req, {
            upstreamHost: target.host,
            requestId: context.requestId,
            peer: req.socket.remoteAddress ?? 'unknown',
            extra: extraHeaders,
          }),
          body: body as Readable | Buffer | null,
          signal: abort.signal,
          headersTimeout: this.config.UPSTREAM_TIMEOUT_MS,
          bodyTimeout: this.config.UPSTREAM_TIMEOUT_MS,
        },
        ({ statusCode, headers }): Writable => {
          context.upstreamStatus = statusCode;
          res.writeHead(
            statusCode,
            clientResponseHeaders(headers, context.requestId),
          );
          return res;
        },
      );
    } finally {
      res.off('close', onClose);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.backend.dispatcher.close();
  }
}
