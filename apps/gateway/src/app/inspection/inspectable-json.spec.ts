import { ProblemException } from '@gatehouse/shared/http';
import { gzipSync } from 'node:zlib';
import type { RequestContext } from '../request/request-context';
import { bodyContext } from './body-context.testing';
import { InspectableJson } from './inspectable-json';

const bodies = new InspectableJson(1024);

const context = (
  headers: Record<string, string>,
  body: Buffer | string,
  complete = true,
) => bodyContext('POST', headers, body, complete);

function texts(ctx: RequestContext): string[] | number {
  try {
    return [...bodies.texts(ctx)];
  } catch (error) {
    return (error as ProblemException).getStatus();
  }
}

const json = { 'content-type': 'application/json' };

describe('InspectableJson (G-2: can a body be inspected, and as which texts)', () => {
  it('reads a labelled body as its one text, after its content-encoding', () => {
    expect(texts(context(json, '{"a":1}'))).toEqual(['{"a":1}']);
    expect(
      texts(
        context({ ...json, 'content-encoding': 'gzip' }, gzipSync('{"b":2}')),
      ),
    ).toEqual(['{"b":2}']);
  });

  it('reads an unlabelled body in each plausible encoding, and skips what cannot be JSON', () => {
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('{"c":3}', 'utf16le'),
    ]);
    // The byte order mark stays: the scanner skips it, as JSON parsers do.
    expect(texts(context({}, utf16))).toContain('\ufeff{"c":3}');
    expect(texts(context({ 'content-type': 'text/plain' }, 'hello'))).toEqual(
      [],
    );
    expect(texts(context({}, ''))).toEqual([]);
  });

  it('refuses a labelled body it cannot inspect: 413, 415, 400', () => {
    expect(texts(context(json, '{"a":', false))).toBe(413);
    expect(texts(context({ ...json, 'content-encoding': 'zstd' }, 'x'))).toBe(
      415,
    );
    expect(
      texts(
        context({ 'content-type': 'application/json; charset=koi8-r' }, '{}'),
      ),
    ).toBe(415);
    expect(
      texts(context({ ...json, 'content-encoding': 'gzip' }, 'not gzip')),
    ).toBe(400);
  });

  it('leaves an unlabelled body it cannot decode to the backend', () => {
    expect(texts(context({ 'content-encoding': 'zstd' }, '{}'))).toEqual([]);
    expect(texts(context({}, 'x'.repeat(2048), false))).toEqual([]);
    expect(texts(context({}, '{"big":"' + 'x'.repeat(2048), false))).toBe(413);
  });
});
