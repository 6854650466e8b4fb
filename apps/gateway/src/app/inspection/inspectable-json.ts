import { ProblemException } from '@gatehouse/shared/http';
import type { RequestContext } from '../request/request-context';
import { inspectedText } from './inspected-text';
import {
  declaredCharset,
  decode,
  Decoding,
  decodingsFor,
  mayCarryKey,
} from './json-charset';
import { isJsonMediaType } from './json-media-type';

// Labels under which clients commonly send JSON (curl -d, fetch with a string body, none).
const LOOSE_LABEL =
  /^\s*(?:application\/x-www-form-urlencoded|text\/plain)\s*(?:;|$)/i;

function mayBeReadAsJson(contentType: string | undefined): boolean {
  return contentType === undefined || LOOSE_LABEL.test(contentType);
}

// G-2, the first decision: can this body be inspected, and as which texts? JSON is decided by
// the bytes. A declared JSON type is held to it: 413 when too large to buffer, 415 for an
// encoding or charset that cannot be decoded, 400 for a corrupt encoding. Any other body is
// read in every encoding a mainstream parser would read it in, and is forwarded as it is when
// it cannot be. Whether a text is flagged is MaliciousPayloadInspector's decision.
export class InspectableJson {
  constructor(private readonly maxBodyBytes: number) {}

  // The texts to scan, lazily, one per plausible decoding; none when there is nothing to scan.
  texts(context: RequestContext): Iterable<string> {
    const { req } = context;
    if (context.body.length === 0 && context.bodyComplete) return [];
    const contentType = req.headers['content-type'];
    const labelled = isJsonMediaType(contentType);
    if (!context.bodyComplete) {
      if (
        labelled ||
        (mayBeReadAsJson(contentType) && this.looksLikeJson(context.body))
      )
        throw this.tooLarge();
      return [];
    }
    const decoded = inspectedText(
      context.body,
      req.headers['content-encoding'],
      this.maxBodyBytes,
    );
    switch (decoded.kind) {
      case 'too-large':
        if (labelled) throw this.tooLarge();
        return [];
      case 'unsupported-encoding':
        if (!labelled) return [];
        throw new ProblemException({
          status: 415,
          title: 'Unsupported Media Type',
          type: 'unsupported-content-encoding',
          detail: `A JSON body in content-encoding "${decoded.encoding}" cannot be inspected.`,
        });
      case 'corrupt':
        if (!labelled) return [];
        throw ProblemException.badRequest(
          'corrupt-content-encoding',
          'The JSON body could not be decoded with its declared content-encoding.',
        );
      case 'bytes':
        break;
    }
    const decodings = decodingsFor(
      decoded.bytes,
      labelled ? declaredCharset(contentType) : undefined,
    );
    if (decodings.kind === 'unsupported') {
      throw new ProblemException({
        status: 415,
        title: 'Unsupported Media Type',
        type: 'unsupported-charset',
        detail: `A JSON body in charset "${decodings.charset.slice(0, 64)}" cannot be inspected.`,
      });
    }
    return textsOf(decoded.bytes, decodings.decodings, labelled);
  }

  // A body too large to buffer whose start reads as a JSON object or array, in any encoding.
  private looksLikeJson(body: Buffer): boolean {
    const head = body.subarray(0, 64);
    const decodings = decodingsFor(head, undefined);
    if (decodings.kind !== 'decodings') return false;
    return decodings.decodings.some((d) => mayCarryKey(decode(head, d)));
  }

  private tooLarge(): ProblemException {
    return new ProblemException({
      status: 413,
      title: 'Content Too Large',
      type: 'body-too-large',
      detail: `JSON bodies over ${this.maxBodyBytes} bytes cannot be inspected and are not forwarded.`,
      headers: { connection: 'close' },
    });
  }
}

function* textsOf(
  bytes: Buffer,
  decodings: readonly Decoding[],
  labelled: boolean,
): Generator<string> {
  for (const decoding of decodings) {
    // An unlabelled body is decoded whole only when its start could hold the key.
    if (!labelled && !mayCarryKey(decode(bytes.subarray(0, 64), decoding)))
      continue;
    yield decode(bytes, decoding);
  }
}
