import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

export type InspectedText =
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'too-large' }
  | { kind: 'unsupported-encoding'; encoding: string }
  | { kind: 'corrupt' };

// Inspection sees the body as the backend will after decoding, so compression cannot hide a payload.
// The bytes forwarded stay the original ones.
// Charsets are applied afterwards (json-charset.ts).
export function inspectedText(
  body: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): InspectedText {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  let bytes = body;
  try {
    for (const coding of codings.reverse()) {
      const options = { maxOutputLength: maxBytes };
      if (coding === 'gzip' || coding === 'x-gzip')
        bytes = gunzipSync(bytes, options);
      else if (coding === 'deflate') bytes = inflateSync(bytes, options);
      else if (coding === 'br') bytes = brotliDecompressSync(bytes, options);
      else return { kind: 'unsupported-encoding', encoding: coding };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      return { kind: 'too-large' };
    return { kind: 'corrupt' };
  }
  return { kind: 'bytes', bytes };
}
