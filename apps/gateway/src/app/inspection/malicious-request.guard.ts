import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import {
  GATEWAY_CONFIG,
  GatewayConfig,
  inspectedMethods,
} from '../gateway.config';
import type { RequestContext } from '../proxy/request-context';
import { inspectedText } from './inspected-text';
import { isJsonMediaType } from './json-media-type';
import { JsonFlagScanner } from './json-flag-scanner';

export const MALICIOUS_KEY = 'is_malicious';

// G-2: a JSON body carrying is_malicious with a flag value, at any depth, is never forwarded.
@Injectable()
export class MaliciousRequestGuard {
  private readonly methods: ReadonlySet<string>;
  private readonly scanner: JsonFlagScanner;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.methods = inspectedMethods(config);
    this.scanner = new JsonFlagScanner(MALICIOUS_KEY, config.MAX_JSON_DEPTH);
  }

  // Whether this request's body must be read before it can be judged.
  inspects(
    method: string | undefined,
    contentType: string | undefined,
  ): boolean {
    return (
      method !== undefined &&
      this.methods.has(method) &&
      isJsonMediaType(contentType)
    );
  }

  check(context: RequestContext): void {
    const { req } = context;
    if (!this.inspects(req.method, req.headers['content-type'])) return;
    if (!context.bodyComplete) throw this.tooLarge();
    const decoded = inspectedText(
      context.body,
      req.headers['content-encoding'],
      this.config.MAX_BODY_BYTES,
    );
    switch (decoded.kind) {
      case 'too-large':
        throw this.tooLarge();
      case 'unsupported-encoding':
        throw new ProblemException({
          status: 415,
          title: 'Unsupported Media Type',
          type: 'unsupported-content-encoding',
          detail: `A JSON body in content-encoding "${decoded.encoding}" cannot be inspected.`,
        });
      case 'corrupt':
        throw new ProblemException({
          status: 400,
          title: 'Bad Request',
          type: 'corrupt-content-encoding',
          detail:
            'The JSON body could not be decoded with its declared content-encoding.',
        });
      case 'text':
        break;
    }
    const result = this.scanner.scan(decoded.text);
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
    // Invalid JSON falls through: it is forwarded unaltered and the backend decides.
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
