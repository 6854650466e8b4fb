// G-2: the ways a mainstream JSON parser may read a body's bytes as text. Express's parser
// honours a declared utf-16/utf-32 charset and a BOM, so inspection reads the body every way
// a backend might, and a payload cannot hide behind an encoding.

export type Decoding =
  | 'utf8'
  | 'latin1'
  | 'utf16le'
  | 'utf16be'
  | 'utf32le'
  | 'utf32be';

export type CharsetDecodings =
  | { kind: 'decodings'; decodings: readonly Decoding[] }
  | { kind: 'unsupported'; charset: string };

const DECLARED: Readonly<Record<string, readonly Decoding[]>> = {
  'utf-8': ['utf8'],
  utf8: ['utf8'],
  'us-ascii': ['latin1'],
  ascii: ['latin1'],
  'iso-8859-1': ['latin1'],
  latin1: ['latin1'],
  // Without a byte-order mark the order is a guess, so both are read.
  'utf-16': ['utf16le', 'utf16be'],
  utf16: ['utf16le', 'utf16be'],
  'utf-16le': ['utf16le'],
  'utf-16be': ['utf16be'],
  'utf-32': ['utf32le', 'utf32be'],
  utf32: ['utf32le', 'utf32be'],
  'utf-32le': ['utf32le'],
  'utf-32be': ['utf32be'],
};

// The charset parameter of a Content-Type, lower-cased and unquoted, if there is one.
export function declaredCharset(
  contentType: string | undefined,
): string | undefined {
  if (contentType === undefined) return undefined;
  const match = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(contentType);
  return match === null ? undefined : match[2].toLowerCase();
}

// Decodings to try: the declared charset's, else what the BOM or the zero-byte pattern of
// the first four bytes says (RFC 4627 §3), always with UTF-8.
export function decodingsFor(
  bytes: Buffer,
  charset: string | undefined,
): CharsetDecodings {
  if (charset !== undefined && charset !== '') {
    const declared = DECLARED[charset];
    return declared === undefined
      ? { kind: 'unsupported', charset }
      : { kind: 'decodings', decodings: withBomOrder(bytes, declared) };
  }
  const sniffed = sniff(bytes);
  return {
    kind: 'decodings',
    decodings: sniffed === undefined ? ['utf8'] : [sniffed, 'utf8'],
  };
}

function withBomOrder(
  bytes: Buffer,
  declared: readonly Decoding[],
): readonly Decoding[] {
  if (declared.length < 2) return declared;
  const bom = sniff(bytes);
  return bom !== undefined && declared.includes(bom) ? [bom] : declared;
}

function sniff(b: Buffer): Decoding | undefined {
  if (b.length >= 4) {
    if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0)
      return 'utf32le';
    if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff)
      return 'utf32be';
  }
  if (b.length >= 2) {
    if (b[0] === 0xff && b[1] === 0xfe) return 'utf16le';
    if (b[0] === 0xfe && b[1] === 0xff) return 'utf16be';
  }
  if (b.length >= 4) {
    if (b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] !== 0) return 'utf32be';
    if (b[0] !== 0 && b[1] === 0 && b[2] === 0 && b[3] === 0) return 'utf32le';
    if (b[0] === 0 && b[1] !== 0 && b[2] === 0 && b[3] !== 0) return 'utf16be';
    if (b[0] !== 0 && b[1] === 0 && b[2] !== 0 && b[3] === 0) return 'utf16le';
  }
  return undefined;
}

// The text a parser would see; a trailing partial code unit is dropped.
export function decode(bytes: Buffer, decoding: Decoding): string {
  switch (decoding) {
    case 'utf8':
      return bytes.toString('utf8');
    case 'latin1':
      return bytes.toString('latin1');
    case 'utf16le':
      return bytes.toString('utf16le', 0, bytes.length & ~1);
    case 'utf16be': {
      const swapped = Buffer.from(bytes.subarray(0, bytes.length & ~1));
      return swapped.swap16().toString('utf16le');
    }
    case 'utf32le':
    case 'utf32be':
      return utf32(bytes, decoding === 'utf32le');
  }
}

function utf32(bytes: Buffer, littleEndian: boolean): string {
  const parts: string[] = [];
  let chunk: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const code = littleEndian ? bytes.readUInt32LE(i) : bytes.readUInt32BE(i);
    chunk.push(code <= 0x10ffff ? code : 0xfffd);
    if (chunk.length === 4096) {
      parts.push(String.fromCodePoint(...chunk));
      chunk = [];
    }
  }
  if (chunk.length > 0) parts.push(String.fromCodePoint(...chunk));
  return parts.join('');
}

// Only an object or an array can carry the key, so a body that starts otherwise is skipped.
export function mayCarryKey(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfeff || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d)
      continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}
