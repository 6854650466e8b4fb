import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// An incoming id is kept only when it is short and plain, so it cannot forge log lines or headers.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function requestIdFor(
  req: IncomingMessage,
  res?: ServerResponse,
): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  const id =
    typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming)
      ? incoming
      : randomUUID();
  res?.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

// Express middleware, mounted before any body parser: a request refused while its body is parsed
// (malformed JSON, too large, an unsupported encoding) still has its id, in its problem answer and
// its x-request-id header. The request logger then keeps this id rather than making another.
export function assignRequestId(
  req: IncomingMessage & { id?: unknown },
  res: ServerResponse,
  next: () => void,
): void {
  if (req.id === undefined || req.id === null) req.id = requestIdFor(req, res);
  next();
}
