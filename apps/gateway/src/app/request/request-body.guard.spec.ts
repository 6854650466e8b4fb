import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import {
  executionFor,
  providersModule,
  proxiedContext,
} from '../testing/gateway.testing';
import { PendingBodyLimit } from '../traffic/pending-body.limit';
import { RequestBodyGuard } from './request-body.guard';
import { RequestContext } from './request-context';

// A request whose body the spec writes.
function withBody(length: number): {
  context: RequestContext;
  body: PassThrough;
} {
  const body = new PassThrough();
  Object.assign(body, {
    method: 'POST',
    url: '/orders',
    headers: { 'content-length': String(length) },
    rawHeaders: ['content-length', String(length)],
    socket: { bytesWritten: 0 },
  });
  const context = new RequestContext(
    body as unknown as IncomingMessage,
    {} as ServerResponse,
    'request-id',
    'client',
    0,
  );
  return { context, body };
}

describe('RequestBodyGuard (G-2, G-6)', () => {
  let guard: RequestBodyGuard;
  let pending: PendingBodyLimit;

  beforeEach(async () => {
    const module = await providersModule([RequestBodyGuard, PendingBodyLimit], {
      BODY_TIMEOUT_MS: '100',
      MAX_BODY_BYTES: '1024',
    });
    guard = module.get(RequestBodyGuard);
    pending = module.get(PendingBodyLimit);
  });

  it('passes a request without a body at once', () => {
    expect(guard.canActivate(executionFor(proxiedContext()))).toBe(true);
  });

  it('reads the body into the context and gives the pending slot back', async () => {
    const { context, body } = withBody(7);
    const passed = guard.canActivate(executionFor(context));
    expect(pending.current).toBe(1);
    body.end('{"a":1}');
    await expect(passed).resolves.toBe(true);
    expect(context.body.toString()).toBe('{"a":1}');
    expect(context.bodyComplete).toBe(true);
    expect(context.bytesIn).toBe(7);
    expect(pending.current).toBe(0);
  });

  it('marks a body past MAX_BODY_BYTES incomplete, for the inspector to refuse', async () => {
    const { context, body } = withBody(2000);
    const passed = guard.canActivate(executionFor(context));
    body.write(Buffer.alloc(1500));
    await expect(passed).resolves.toBe(true);
    expect(context.bodyComplete).toBe(false);
    expect(context.bytesIn).toBe(2000);
  });

  it('answers 408 when the body does not arrive in time', async () => {
    const { context } = withBody(7);
    await expect(
      guard.canActivate(executionFor(context)),
    ).rejects.toMatchObject({ status: 408 });
    expect(pending.current).toBe(0);
  });
});
