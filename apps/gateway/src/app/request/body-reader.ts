import type { IncomingMessage } from 'node:http';

// The client went away before its body arrived: nothing to answer and nothing to forward.
export class ClientAbortedError extends Error {
  constructor() {
    super('client aborted the request body');
  }
}

// The client did not send its body within the body timeout (G-6: slow clients are bounded).
export class BodyTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the request body did not arrive within ${timeoutMs} ms`);
  }
}

export interface ReadBody {
  body: Buffer;
  // False when the body exceeded the bound; the rest is still unread in the request stream.
  complete: boolean;
}

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (length !== undefined && length !== '0')
  );
}

// Reads up to `limit` bytes within `timeoutMs`. Past the limit, stops reading and leaves the
// request paused. A body declared too large is still read up to the limit, so that its start
// can be inspected (G-2).
export function readBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number,
): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      cleanup();
      req.pause();
      reject(new BodyTimeoutError(timeoutMs));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        req.pause();
        cleanup();
        resolve({ body: Buffer.concat(chunks, size), complete: false });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size),
        complete: true,
      });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(
        error instanceof ClientAbortedError ? error : new ClientAbortedError(),
      );
    };
    const onAborted = () => onError(new ClientAbortedError());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

// The buffered prefix followed by whatever the client still sends.
export async function* remainingBody(
  prefix: Buffer,
  req: IncomingMessage,
): AsyncGenerator<Buffer> {
  if (prefix.length > 0) yield prefix;
  for await (const chunk of req) yield chunk as Buffer;
}
