import {
  declaredCharset,
  decode,
  decodingsFor,
  mayCarryKey,
} from './json-charset';

const text = '{"a":1}';
const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();

describe('json-charset (G-2)', () => {
  it('reads the charset parameter, quoted or not, in any case', () => {
    expect(declaredCharset('application/json; charset="UTF-16LE"')).toBe(
      'utf-16le',
    );
    expect(declaredCharset('application/json;charset=utf-8')).toBe('utf-8');
    expect(declaredCharset('application/json')).toBeUndefined();
    expect(declaredCharset(undefined)).toBeUndefined();
  });

  it('follows a declared charset, narrowed by a BOM when the order is a guess', () => {
    expect(decodingsFor(Buffer.from(text), 'utf-16')).toEqual({
      kind: 'decodings',
      decodings: ['utf16le', 'utf16be'],
    });
    expect(
      decodingsFor(
        Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]),
        'utf-16',
      ),
    ).toEqual({ kind: 'decodings', decodings: ['utf16be'] });
    expect(decodingsFor(Buffer.from(text), 'utf-7')).toEqual({
      kind: 'unsupported',
      charset: 'utf-7',
    });
  });

  it('sniffs BOMs and the RFC 4627 zero-byte patterns, always with UTF-8', () => {
    expect(decodingsFor(Buffer.from(text), undefined)).toEqual({
      kind: 'decodings',
      decodings: ['utf8'],
    });
    expect(decodingsFor(Buffer.from(text, 'utf16le'), undefined)).toEqual({
      kind: 'decodings',
      decodings: ['utf16le', 'utf8'],
    });
    expect(decodingsFor(utf16be(text), undefined)).toEqual({
      kind: 'decodings',
      decodings: ['utf16be', 'utf8'],
    });
    expect(decodingsFor(Buffer.from([0, 0, 0, 0x7b]), undefined)).toEqual({
      kind: 'decodings',
      decodings: ['utf32be', 'utf8'],
    });
  });

  it('decodes every supported form back to the same text', () => {
    const be32 = Buffer.alloc(text.length * 4);
    for (let i = 0; i < text.length; i++)
      be32.writeUInt32BE(text.charCodeAt(i), i * 4);
    expect(decode(be32, 'utf32be')).toBe(text);
    expect(decode(utf16be(text), 'utf16be')).toBe(text);
    // A trailing odd byte is dropped, as a parser would fail on it anyway.
    expect(
      decode(
        Buffer.concat([Buffer.from(text, 'utf16le'), Buffer.from([1])]),
        'utf16le',
      ),
    ).toBe(text);
  });

  it('only objects and arrays can carry the key', () => {
    expect(mayCarryKey('\uFEFF \n {')).toBe(true);
    expect(mayCarryKey('[')).toBe(true);
    expect(mayCarryKey('"is_malicious"')).toBe(false);
    expect(mayCarryKey('')).toBe(false);
  });
});
