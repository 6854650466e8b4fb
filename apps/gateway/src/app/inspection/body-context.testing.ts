import type { RequestContext } from '../request/request-context';
import { proxiedContext } from '../testing/gateway.testing';

// For the inspection specs: a request context holding a body as the body reader leaves it.
export function bodyContext(
  method: string,
  headers: Record<string, string>,
  body: Buffer | string,
  complete = true,
): RequestContext {
  const context = proxiedContext({ method, headers });
  context.body = Buffer.from(body);
  context.bodyComplete = complete;
  return context;
}
