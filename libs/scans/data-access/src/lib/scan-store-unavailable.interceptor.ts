import {
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { catchError, Observable, throwError } from 'rxjs';
import { isStoreUnavailable } from './scan-store-unavailable.error';

// The one answer while the store is away: 503 with Retry-After, naming no host or driver.
export function storeUnavailableProblem(): ProblemException {
  return new ProblemException({
    status: HttpStatus.SERVICE_UNAVAILABLE,
    title: 'Service Unavailable',
    detail:
      'The scan store is unavailable; retry later (with the same Idempotency-Key).',
    type: 'store-unavailable',
    headers: { 'retry-after': '2' },
  });
}

// S-3: an unreachable database is a 503 the client may retry, never a 500 or a hang.
@Injectable()
export class ScanStoreUnavailableInterceptor implements NestInterceptor {
  intercept(
    _context: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> {
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          throwError(() =>
            isStoreUnavailable(error) ? storeUnavailableProblem() : error,
          ),
        ),
      );
  }
}
