import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { finalize, Observable } from 'rxjs';
import { proxiedRequest } from '../request/request-context';
import { InFlightLimit } from './in-flight.limit';

// G-6: a forwarded request holds one of MAX_IN_FLIGHT upstream slots (503 past it) from the
// moment it is sent until its exchange ends. It runs last, so the body, the inspection and any
// hold come first and hold no slot. A WebSocket tunnel is bounded by MAX_TUNNELS instead.
@Injectable()
export class InFlightLimitInterceptor implements NestInterceptor {
  constructor(private readonly inFlight: InFlightLimit) {}

  intercept(
    execution: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> {
    if (proxiedRequest(execution).upgradeHead !== undefined)
      return next.handle();
    const release = this.inFlight.acquire();
    return next.handle().pipe(finalize(release));
  }
}
