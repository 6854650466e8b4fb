import { CanActivate, HttpStatus, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { ScanStoreConnection } from './scan-store.connection';

// S-3: while the store is down (or still building its indexes), scan routes answer 503 at once,
// with Retry-After, instead of waiting for the driver to give up.
@Injectable()
export class ScanStoreReadyGuard implements CanActivate {
  constructor(private readonly store: ScanStoreConnection) {}

  canActivate(): boolean {
    if (this.store.isUp) return true;
    throw new ProblemException({
      status: HttpStatus.SERVICE_UNAVAILABLE,
      title: 'Service Unavailable',
      detail:
        'The scan store is unavailable; retry later (with the same Idempotency-Key).',
      type: 'store-unavailable',
      headers: { 'retry-after': '2' },
    });
  }
}
