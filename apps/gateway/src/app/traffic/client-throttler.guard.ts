import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerOptions,
  ThrottlerRequest,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { ProblemException } from '@gatehouse/shared/http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { proxiedRequest } from '../request/request-context';

// One throttler, named for what it counts. Its Redis keys share a per-client hash tag
// ({rl:<client>:client}), so it runs on a cluster as it is (G-5).
const THROTTLER_NAME = 'client';
const ALLOWED = Promise.resolve(true);

// The gateway's throttler options: RATE_LIMIT requests per client per RATE_LIMIT_WINDOW_MS,
// counted in the given storage (bounded memory, or Redis when the store is).
export function clientThrottlerOptions(
  config: GatewayConfig,
  storage: ThrottlerStorage,
): ThrottlerModuleOptions {
  const throttler: ThrottlerOptions = {
    name: THROTTLER_NAME,
    limit: config.RATE_LIMIT,
    ttl: config.RATE_LIMIT_WINDOW_MS,
    blockDuration: config.RATE_LIMIT_WINDOW_MS,
  };
  // The gateway forwards the upstream's answer as it is: no X-RateLimit-* fields are added.
  return { throttlers: [throttler], storage, setHeaders: false };
}

// G-6: at most RATE_LIMIT requests per client per window (429 past it), by the client address
// the gateway trusts (TRUST_PROXY). RATE_LIMIT=0 turns it off. A storage outage fails open:
// the store reports it once, and traffic keeps flowing.
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  private readonly enabled: boolean;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    super(options, storage, reflector);
    this.enabled = config.RATE_LIMIT > 0;
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    return this.enabled ? super.canActivate(context) : ALLOWED;
  }

  protected override async handleRequest(
    request: ThrottlerRequest,
  ): Promise<boolean> {
    try {
      return await super.handleRequest(request);
    } catch (error) {
      if (error instanceof ProblemException) throw error;
      return true;
    }
  }

  protected override async getTracker(
    _req: Record<string, unknown>,
    context?: ExecutionContext,
  ): Promise<string> {
    return context === undefined ? '' : proxiedRequest(context).client;
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
  ): string {
    return `rl:${tracker}`;
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new ProblemException({
      status: 429,
      title: 'Too Many Requests',
      type: 'rate-limited',
      detail: `At most ${detail.limit} requests per ${detail.ttl} ms are accepted from one client.`,
      headers: {
        'retry-after': String(Math.max(1, detail.timeToBlockExpire)),
      },
    });
  }
}
