import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import {
  GATEWAY_CONFIG,
  GatewayConfig,
  inspectedMethods,
} from '../gateway.config';
import type { RequestContext } from '../request/request-context';
import { inspectedText } from './inspected-text';
import {
  declaredCharset,
  decode,
  decodingsFor,
  mayCarryKey,
} from './json-charset';
import { isJsonMediaType } from './json-media-type';
import { JsonFlagScanner } from './json-flag-scanner';

export const MALICIOUS_KEY = 'is_malicious';

// Labels under which clients commonly send JSON (curl -d, fetch with a string body, none).
const LOOSE_LABEL =
  /^\s*(?:application\/x-www-form-urlencoded|text\/plain)\s*(?:;|$)/i;

function mayBeReadAsJson(contentType: string | undefined): boolean {
  return contentType === undefined || LOOSE_LABEL.test(contentType);
}

// G-2: a JSON body carrying is_malicious with a flag value, at any depth, is never forwarded.
@Injectable()
export class MaliciousPayloadInspector {
  private readonly methods: ReadonlySet<string>;
  private readonly scanner: JsonFlagScanner;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.methods = inspectedMethods(config);
    this.scanner = new JsonFlagScanner(MALICIOUS_KEY, config.MAX_JSON_DEPTH);
  }

  // Whether this request's method has its body inspected at all.
  inspects(method: string | undefined): boolean {
    return method !== undefined && this.methods.has(method);
  }

  // G-2: JSON is decided by the bytes. A declared JSON type is held to it (413 when too
  // large, 415 for what cannot be decoded); any other body is inspected when it parses
  // as JSON in any encoding a mainstream parser would read it in.
  check(context: RequestContext): void {
    const { req } = context;
    if (!this.inspects(req.method)) return;
    if (context.body.length === 0 && context.bodyComplete) return;
    const contentType = req.headers['content-type'];
    const labelled = isJsonMediaType(contentType);
    if (!context.bodyComplete) {
      if (
        labelled ||
        (mayBeReadAsJson(contentType) && this.looksLikeJson(context.body))
      )
        throw this.tooLarge();
      return;
    }
    const decoded = inspectedText(
      context.body,
      req.headers['content-encoding'],
      this.config.MAX_BODY_BYTES,
    );
    switch (decoded.kind) {
      case 'too-large':
        if (labelled) throw this.tooLarge();
        return;
      case 'unsupported-encoding':
        if (!labelled) return;
        throw new ProblemException({
          status: 415,
          title: 'Unsupported Media Type',
          type: 'unsupported-content-encoding',
          detail: `A JSON body in content-encoding "${decoded.encoding}" cannot be inspected.`,
        });
      case 'corrupt':
        if (!labelled) return;
        throw new ProblemException({
          status: 400,
          title: 'Bad Request',
          type: 'corrupt-content-encoding',
          detail:
            'The JSON body could not be decoded with its declared content-encoding.',
        });
      case 'bytes':
        break;
    }
    const charset = declaredCharset(contentType);
    const decodings = decodingsFor(
      decoded.bytes,
      labelled ? charset : undefined,
    );
    if (decodings.kind === 'unsupported') {
      throw new ProblemException({
        status: 415,
        title: 'Unsupported Media Type',
        type: 'unsupported-charset',
        detail: `A JSON body in charset "${decodings.charset.slice(0, 64)}" cannot be inspected.`,
      });
    }
    for (const decoding of decodings.decodings) {
      // An unlabelled body is scanned only when its start could hold the key.
      if (
        !labelled &&
        !mayCarryKey(decode(decoded.bytes.subarray(0, 64), decoding))
      )
        continue;
      const result = this.scanner.scan(decode(decoded.bytes, decoding));
      if (result.kind === 'too-deep') {
        throw new ProblemException({
          status: 400,
          title: 'Bad Request',
          type: 'json-too-deep',
          detail: `JSON nesting deeper than ${this.config.MAX_JSON_DEPTH} levels is not accepted.`,
        });
      }
      if (result.kind === 'valid' && result.flagged) {
        throw new ProblemException({
          status: 401,
          title: 'Unauthorized',
          type: 'malicious-payload',
          detail: `The request body carries "${MALICIOUS_KEY}" with a flag value and was blocked.`,
        });
      }
    }
    // Invalid JSON falls through: it is forwarded unaltered and the backend decides.
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
      detail: `JSON bodies over ${this.config.MAX_BODY_BYTES} bytes cannot be inspected and are not forwarded.`,
      headers: { connection: 'close' },
    });
  }
}
