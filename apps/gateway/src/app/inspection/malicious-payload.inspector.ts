import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import {
  GATEWAY_CONFIG,
  GatewayConfig,
  inspectedMethods,
} from '../gateway.config';
import type { RequestContext } from '../request/request-context';
import { InspectableJson } from './inspectable-json';
import { JsonFlagScanner } from './json-flag-scanner';

export const MALICIOUS_KEY = 'is_malicious';

// G-2: a JSON body carrying is_malicious with a flag value, at any depth, is never forwarded.
// Two decisions, in order: whether the body can be inspected, and as which texts
// (InspectableJson: 413, 415, 400), then whether one of those texts is flagged (401), which
// a scan can only tell within MAX_JSON_DEPTH (400 beyond it).
@Injectable()
export class MaliciousPayloadInspector {
  private readonly methods: ReadonlySet<string>;
  private readonly bodies: InspectableJson;
  private readonly scanner: JsonFlagScanner;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.methods = inspectedMethods(config);
    this.bodies = new InspectableJson(config.MAX_BODY_BYTES);
    this.scanner = new JsonFlagScanner(MALICIOUS_KEY, config.MAX_JSON_DEPTH);
  }

  // Whether this request's method has its body inspected at all.
  inspects(method: string | undefined): boolean {
    return method !== undefined && this.methods.has(method);
  }

  check(context: RequestContext): void {
    if (!this.inspects(context.req.method)) return;
    for (const text of this.bodies.texts(context)) {
      const result = this.scanner.scan(text);
      if (result.kind === 'too-deep') {
        throw ProblemException.badRequest(
          'json-too-deep',
          `JSON nesting deeper than ${this.config.MAX_JSON_DEPTH} levels is not accepted.`,
        );
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
}
