import { Injectable } from '@nestjs/common';
import type { Readable, Writable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { remainingBody } from '../request/body-reader';
import { clientResponseHeaders } from '../request/forward-headers';
import type { RequestContext } from '../request/request-context';
import { UpstreamHeaders } from '../request/upstream-headers';
import type { UpstreamTarget } from '../request/upstream-target';

// G-1: streams the request to the upstream and the answer back, bytes untouched.
@Injectable()
export class ProxyService {
  constructor(private readonly headers: UpstreamHeaders) {}

  async forward(
    context: RequestContext,
    target: UpstreamTarget,
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
          headers: this.headers.for(context, target),
          body: body as Readable | Buffer | null,
          signal: abort.signal,
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
}
