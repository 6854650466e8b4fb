import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { proxiedRequest, RequestContext } from '../request/request-context';
import { DuplicateDelay } from './duplicate-delay.service';

// G-3: records every request as its client's latest, and whether it replays the one before,
// ahead of inspection: a request blocked later still counts as "a request in between".
// It never refuses; DuplicateDelayInterceptor holds the replays. A store that answers in the
// process keeps this guard synchronous.
@Injectable()
export class LatestRequestGuard implements CanActivate {
  constructor(private readonly duplicates: DuplicateDelay) {}

  canActivate(execution: ExecutionContext): boolean | Promise<boolean> {
    const context = proxiedRequest(execution);
    const replay = this.duplicates.observe(context);
    if (typeof replay === 'boolean') {
      context.replay = replay;
      return true;
    }
    return replay.then((replayed) => passed(context, replayed));
  }
}

function passed(context: RequestContext, replay: boolean): boolean {
  context.replay = replay;
  return true;
}
