import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext } from '../request/request-context';

// For the inspection specs: a request context holding a body as the body reader leaves it.
export function bodyContext(
  method: string,
  headers: Record<string, string>,
  body: Buffer | string,
  complete = true,
): RequestContext {
  const req = {
    method,
    headers,
    url: '/x',
    socket: { bytesWritten: 0 },
  } as unknown as IncomingMessage;
  const ctx = new RequestContext(req, {} as ServerResponse, 'id', 'client', 0);
  ctx.body = Buffer.from(body);
  ctx.bodyComplete = complete;
  return ctx;
}
