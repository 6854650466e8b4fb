import { loadConfig } from '@gatehouse/shared/config';
import { ProblemException } from '@gatehouse/shared/http';
import { gzipSync } from 'node:zlib';
import { gatewaySchema } from '../gateway.config';
import type { RequestContext } from '../request/request-context';
import { bodyContext } from './body-context.testing';
import { MaliciousPayloadInspector } from './malicious-payload.inspector';

const config = loadConfig(gatewaySchema, {
  MAX_BODY_BYTES: '2048',
  MAX_JSON_DEPTH: '4',
});
const guard = new MaliciousPayloadInspector(config);

const context = bodyContext;

function statusOf(ctx: RequestContext): number {
  try {
    guard.check(ctx);
    return 0;
  } catch (error) {
    return (error as ProblemException).getStatus();
  }
}

const json = { 'content-type': 'application/json' };

function utf32be(text: string): Buffer {
  const out = Buffer.alloc(text.length * 4);
  for (let i = 0; i < text.length; i++)
    out.writeUInt32BE(text.charCodeAt(i), i * 4);
  return out;
}

describe('MaliciousPayloadInspector (G-2)', () => {
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
    ).toBe(401);
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
    ).toBe(401);
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
    const all = new MaliciousPayloadInspector(
      loadConfig(gatewaySchema, { INSPECT_METHODS: 'post,put,patch' }),
    );
    expect(all.inspects('PUT')).toBe(true);
    expect(all.inspects('GET')).toBe(false);
  });

  it.each([
    ['no content type', {}, Buffer.from('{"is_malicious":true}')],
    [
      'a form label (curl -d)',
      { 'content-type': 'application/x-www-form-urlencoded' },
      Buffer.from('{"is_malicious":true}'),
    ],
    [
      'utf-16le declared',
      { 'content-type': 'application/json; charset=utf-16le' },
      Buffer.from('{"is_malicious":true}', 'utf16le'),
    ],
    [
      'utf-16 declared, big-endian, no BOM',
      { 'content-type': 'application/json; charset="UTF-16"' },
      Buffer.from('{"is_malicious":true}', 'utf16le').swap16(),
    ],
    [
      'utf-32be declared',
      { 'content-type': 'application/json; charset=utf-32be' },
      utf32be('{"is_malicious":true}'),
    ],
    [
      'a UTF-16LE BOM with no charset',
      json,
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from('{"is_malicious":true}', 'utf16le'),
      ]),
    ],
    ['UTF-32BE without BOM or label', {}, utf32be('{"is_malicious":true}')],
  ])('blocks a flagged body with %s', (_name, headers, body) => {
    expect(statusOf(context('POST', headers, body))).toBe(401);
  });

  it('answers 415 for a declared charset it cannot decode', () => {
    expect(
      statusOf(
        context(
          'POST',
          { 'content-type': 'application/json; charset=utf-7' },
          '{"a":1}',
        ),
      ),
    ).toBe(415);
  });

  it('forwards bodies that are not JSON whatever their label', () => {
    expect(
      statusOf(
        context(
          'POST',
          { 'content-type': 'text/plain; charset=shift_jis' },
          'is_malicious=true',
        ),
      ),
    ).toBe(0);
    expect(statusOf(context('POST', {}, Buffer.from([0, 1, 2, 3])))).toBe(0);
  });
});
