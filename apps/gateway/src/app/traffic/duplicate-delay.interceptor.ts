import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { from, mergeMap, Observable } from 'rxjs';
import { performance } from 'node:perf_hooks';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { HedgedRouteHandler } from '../hedging/hedged-route.handler';
import { proxiedRequest } from '../request/request-context';
import { DuplicateDelay } from './duplicate-delay.service';

// G-3: an exact replay of the client's previous request (LatestRequestGuard tells) is held for
// DUPLICATE_DELAY_MS, then handled. Hedged routes keep their own policy (G-7): exempt from the
// hold unless DUPLICATE_DELAY_HEDGED, and a hold never takes a call past its deadline, which
// is read here, once, before any hold. Anything not held goes on untouched.
@Injectable()
export class DuplicateDelayInterceptor implements NestInterceptor {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly duplicates: DuplicateDelay,
    private readonly hedging: HedgedRouteHandler,
  ) {}

  intercept(
    execution: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> {
    const context = proxiedRequest(execution);
    let holdCapMs = Infinity;
    if (this.hedging.hedges(context)) {
      const deadlineMs = this.hedging.begin(context);
      context.hedgeDeadlineMs = deadlineMs;
      if (!this.config.DUPLICATE_DELAY_HEDGED) return next.handle();
      holdCapMs = deadlineMs - (performance.now() - context.startedAt);
    }
    if (!context.replay) return next.handle();
    return from(this.duplicates.hold(context, holdCapMs)).pipe(
      mergeMap(() => next.handle()),
    );
  }
}
