import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { PendingBodyLimit } from '../traffic/pending-body.limit';
import { BodyTimeoutError, hasBody, readBody } from './body-reader';
import { proxiedRequest, RequestContext } from './request-context';

// Reads the request body, up to MAX_BODY_BYTES, before anything inspects it (G-2). A body
// still arriving holds no upstream slot (G-6): it is bounded per client and in time (408).
// A request without a body passes at once.
@Injectable()
export class RequestBodyGuard implements CanActivate {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly pendingBodies: PendingBodyLimit,
  ) {}

  canActivate(execution: ExecutionContext): boolean | Promise<boolean> {
    const context = proxiedRequest(execution);
    if (!hasBody(context.req)) return true;
    return this.read(context);
  }

  private async read(context: RequestContext): Promise<boolean> {
    const req = context.req;
    const releasePending = this.pendingBodies.acquire(context.client);
    try {
      const read = await readBody(
        req,
        this.config.MAX_BODY_BYTES,
        this.config.BODY_TIMEOUT_MS,
      );
      context.body = read.body;
      context.bodyComplete = read.complete;
      context.bytesIn = read.complete
        ? read.body.length
        : Number(req.headers['content-length']) || read.body.length;
      return true;
    } catch (error) {
      if (error instanceof BodyTimeoutError) throw bodyTimeout(error);
      throw error;
    } finally {
      releasePending();
    }
  }
}

function bodyTimeout(error: BodyTimeoutError): ProblemException {
  return new ProblemException({
    status: 408,
    title: 'Request Timeout',
    type: 'body-timeout',
    detail: `The request body did not arrive within ${error.timeoutMs} ms.`,
  });
}
