import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { from, mergeMap, Observable, of } from 'rxjs';
import { proxiedRequest, RequestContext } from './request-context';

// Pipelined requests on one connection are decided in arrival order: a request goes on once
// the one before it is decided, and never after an error answer, which closes the connection.
// A request nobody waits for, as on plain keep-alive traffic, goes on at once.
@Injectable()
export class ConnectionOrderInterceptor implements NestInterceptor {
  intercept(
    execution: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> {
    const context = proxiedRequest(execution);
    const previous = context.place?.previous;
    if (previous === undefined || previous.decided)
      return inTurn(context, next);
    return from(previous.wait()).pipe(mergeMap(() => inTurn(context, next)));
  }
}

function inTurn(
  context: RequestContext,
  next: CallHandler,
): Observable<unknown> {
  const place = context.place;
  place?.turn.decide();
  // The client has gone: nothing is sent upstream for it.
  if (context.abandoned) return of(undefined);
  if (place?.behindCut) {
    context.decision = 'rejected';
    context.error = 'connection-closed';
    context.res.destroy();
    return of(undefined);
  }
  return next.handle();
}
