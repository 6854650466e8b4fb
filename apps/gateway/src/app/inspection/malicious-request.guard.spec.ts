import { loadConfig } from '@gatehouse/shared/config';
import { ProblemException } from '@gatehouse/shared/http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { gatewaySchema } from '../gateway.config';
import { RequestContext } from '../proxy/request-context';
import { MaliciousRequestGuard } from './malicious-request.guard';

const config = loadConfig(gatewaySchema, {
  MAX_BODY_BYTES: '2048',
  MAX_JSON_DEPTH: '4',
});
const guard = new MaliciousRequestGuard(config);

function context(
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

function statusOf(ctx: RequestContext): number {
  try {
    guard.check(ctx);
    return 0;
  } catch (error) {
    return (error as ProblemException).getStatus();
  }
}

const json = { 'content-type': 'application/json' };

describe('MaliciousRequestGuard (G-2)', () => {
  it('blocks a flagged JSON POST with 401', () => {
    expect(statusOf(context('POST', json, '{"is_malicious":true}'))).toBe(401);
  });

  it('inspects only the configured methods and JSON media types', () => {
    expect(statusOf(context('PUT', json, '{"is_malicious":true}'))).toBe(0);
    expect(
      statusOf(
        context(
          'POST',
          { 'content-type': 'text/plain' },
          '{"is_malicious":true}',
        ),
      ),
    ).toBe(0);
    expect(
      statusOf(
        context(
          'POST',
          { 'content-type': 'application/merge-patch+json' },
          '{"is_malicious":true}',
        ),
      ),
    ).toBe(401);
    expect(
      statusOf(
        context(
          'POST',
          { 'content-type': 'application/jsonx' },
          '{"is_malicious":true}',
        ),
      ),
    ).toBe(0);
  });

  it('answers 413 for an incomplete body and for a decompression bomb', () => {
    expect(statusOf(context('POST', json, '{"is_', false))).toBe(413);
    const bomb = gzipSync(Buffer.alloc(100_000, 0x20));
    expect(
      statusOf(context('POST', { ...json, 'content-encoding': 'gzip' }, bomb)),
    ).toBe(413);
  });

  it('answers 415 for unknown encodings and 400 for corrupt ones or deep nesting', () => {
    expect(
      statusOf(context('POST', { ...json, 'content-encoding': 'zstd' }, 'x')),
    ).toBe(415);
    expect(
      statusOf(
        context('POST', { ...json, 'content-encoding': 'gzip' }, 'not gzip'),
      ),
    ).toBe(400);
    expect(statusOf(context('POST', json, '[[[[[1]]]]]'))).toBe(400);
  });

  it('lets invalid JSON through for the backend to judge', () => {
    expect(statusOf(context('POST', json, '{"is_malicious":true'))).toBe(0);
  });

  it('honours INSPECT_METHODS', () => {
    const all = new MaliciousRequestGuard(
      loadConfig(gatewaySchema, { INSPECT_METHODS: 'post,put,patch' }),
    );
    expect(all.inspects('PUT', 'application/json')).toBe(true);
    expect(all.inspects('GET', 'application/json')).toBe(false);
  });
});
