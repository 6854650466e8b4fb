import { CanActivate, Injectable } from '@nestjs/common';
import { ScanStoreConnection } from './scan-store.connection';
import { storeUnavailableProblem } from './scan-store-unavailable.interceptor';

// S-3: while the store is down (or still building its indexes), scan routes answer 503 at once,
// with Retry-After, instead of waiting for the driver to give up.
@Injectable()
export class ScanStoreReadyGuard implements CanActivate {
  constructor(private readonly store: ScanStoreConnection) {}

  canActivate(): boolean {
    if (this.store.isUp) return true;
    throw storeUnavailableProblem();
  }
}
