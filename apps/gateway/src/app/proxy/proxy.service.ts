import { Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { remainingBody } from '../request/body-reader';
import { clientResponseHeaderList } from '../request/forward-headers';
import type { RequestContext } from '../request/request-context';
import { UpstreamHeaders } from '../request/upstream-headers';
import type { UpstreamTarget } from '../request/upstream-target';

// The client went away: the upstream exchange is cut. Named like the abort it replaces, so the
// pipeline records it as the client's doing, not the upstream's.
class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'AbortError';
  }
}

type Abort = (error: Error) => void;

// One request's exchange with the upstream, driven by undici's dispatcher callbacks. A small
// answer is held until it is complete, so that its status line, headers and body leave in one
// write; a longer one is streamed with backpressure once its second chunk arrives.
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;
  private abortUpstream: Abort | null = null;
  private statusCode = 0;
  private headers: string[] | null = null;
  private first: Buffer | null = null;
  private streaming = false;
  private resumeUpstream: (() => void) | null = null;
  private settled = false;

  constructor(private readonly context: RequestContext) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  // Called by the pipeline when the client's response closes before it was finished.
  abort(): void {
    if (this.abortUpstream !== null) this.abortUpstream(new ClientGoneError());
    else this.fail(new ClientGoneError());
  }

  onConnect(abort: Abort): void {
    this.abortUpstream = abort;
    // Queued while the client left: it is never sent.
    if (this.context.abandoned) abort(new ClientGoneError());
  }

  onHeaders(
    statusCode: number,
    rawHeaders: Buffer[],
    resume: () => void,
  ): boolean {
    this.statusCode = statusCode;
    this.context.upstreamStatus = statusCode;
    this.resumeUpstream = resume;
    // The request id goes out with the upstream's fields: nothing was set on the response
    // before, so writeHead stores the list as it is.
    this.headers = clientResponseHeaderList(rawHeaders, this.context.requestId);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.streaming) {
      if (this.first === null) {
        this.first = chunk;
        return true;
      }
      this.startStreaming();
    }
    return this.write(chunk);
  }

  onComplete(): void {
    const res = this.context.res;
    try {
      if (this.streaming) {
        res.end();
      } else {
        res.writeHead(this.statusCode, this.headers ?? []);
        if (this.first === null) res.end();
        else res.end(this.first);
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    this.settle();
  }

  onError(error: Error): void {
    // Headers that arrived count as sent: the pipeline then cuts the answer off, as it does
    // for a failure mid-stream, instead of answering with a problem.
    if (!this.streaming && this.headers !== null) {
      try {
        this.startStreaming();
      } catch {
        // The headers were not writable: the pipeline answers with a problem instead.
      }
    }
    this.fail(error);
  }

  private startStreaming(): void {
    this.streaming = true;
    const res = this.context.res;
    res.writeHead(this.statusCode, this.headers ?? []);
    const first = this.first;
    this.first = null;
    if (first !== null) res.write(first);
  }

  private write(chunk: Buffer): boolean {
    const res: ServerResponse = this.context.res;
    if (res.write(chunk)) return true;
    if (this.resumeUpstream !== null && !res.destroyed)
      res.once('drain', this.resumeUpstream);
    return false;
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve();
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

// G-1: streams the request to the upstream and the answer back, bytes untouched.
@Injectable()
export class ProxyService {
  constructor(private readonly headers: UpstreamHeaders) {}

  forward(context: RequestContext, target: UpstreamTarget): Promise<void> {
    const { req } = context;
    const body: Buffer | AsyncIterable<Buffer> | null = !context.bodyComplete
      ? remainingBody(context.body, req)
      : context.body.length > 0
        ? context.body
        : null;
    const exchange = new UpstreamExchange(context);
    context.exchange = exchange;
    target.dispatcher.dispatch(
      {
        origin: target.origin,
        path: target.path ?? context.target,
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: this.headers.for(context, target),
        body: body as Buffer | null,
      },
      exchange,
    );
    return exchange.done;
  }
}
