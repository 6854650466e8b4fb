import {
  executionFor,
  providersModule,
  proxiedContext,
} from '../testing/gateway.testing';
import { DuplicateDelay } from './duplicate-delay.service';
import { GATEWAY_STORE } from './gateway.store';
import { LatestRequestGuard } from './latest-request.guard';
import { MemoryStore } from './memory.store';

describe('LatestRequestGuard (G-3)', () => {
  let guard: LatestRequestGuard;

  beforeEach(async () => {
    const store = new MemoryStore({
      maxClients: 10,
      ttlMs: 60_000,
      maxPaths: 10,
    });
    const module = await providersModule([
      LatestRequestGuard,
      DuplicateDelay,
      { provide: GATEWAY_STORE, useValue: store },
    ]);
    guard = module.get(LatestRequestGuard);
  });

  const seen = (url: string) => {
    const context = proxiedContext({ url });
    expect(guard.canActivate(executionFor(context))).toBe(true);
    return context.replay;
  };

  it('marks the second of two identical requests a replay, and refuses none', () => {
    expect(seen('/a')).toBe(false);
    expect(seen('/a')).toBe(true);
  });

  it('counts every request it sees as the latest: A, B, A is no replay', () => {
    seen('/a');
    seen('/b');
    expect(seen('/a')).toBe(false);
  });
});
