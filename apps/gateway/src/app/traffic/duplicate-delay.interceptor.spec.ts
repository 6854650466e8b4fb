import { lastValueFrom } from 'rxjs';
import { HedgedRouteHandler } from '../hedging/hedged-route.handler';
import {
  callHandler,
  executionFor,
  providersModule,
  proxiedContext,
} from '../testing/gateway.testing';
import { DuplicateDelay } from './duplicate-delay.service';
import { DuplicateDelayInterceptor } from './duplicate-delay.interceptor';
import { GATEWAY_STORE } from './gateway.store';

describe('DuplicateDelayInterceptor (G-3)', () => {
  let interceptor: DuplicateDelayInterceptor;
  const hedging = { hedges: jest.fn(() => false), begin: jest.fn(() => 30) };

  beforeEach(async () => {
    hedging.hedges.mockReturnValue(false);
    const module = await providersModule(
      [
        DuplicateDelayInterceptor,
        DuplicateDelay,
        { provide: GATEWAY_STORE, useValue: {} },
        { provide: HedgedRouteHandler, useValue: hedging },
      ],
      { DUPLICATE_DELAY_MS: '40' },
    );
    interceptor = module.get(DuplicateDelayInterceptor);
  });

  it('hands a request that is no replay on untouched', () => {
    const next = callHandler();
    const context = proxiedContext();
    const handled = interceptor.intercept(executionFor(context), next);
    expect(handled).toBe(next.handle.mock.results[0].value);
    expect(context.decision).toBe('forwarded');
  });

  it('holds a replay for DUPLICATE_DELAY_MS before the handler runs', async () => {
    const next = callHandler();
    const context = proxiedContext();
    context.replay = true;
    const handled = interceptor.intercept(executionFor(context), next);
    expect(next.handle).not.toHaveBeenCalled();
    await expect(lastValueFrom(handled)).resolves.toBe('handled');
    expect(context.decision).toBe('delayed');
    expect(context.delayMs).toBeGreaterThanOrEqual(40);
  });

  it('exempts a hedged route from the hold, and reads its deadline once (G-7)', () => {
    hedging.hedges.mockReturnValue(true);
    const next = callHandler();
    const context = proxiedContext();
    context.replay = true;
    interceptor.intercept(executionFor(context), next);
    expect(next.handle).toHaveBeenCalledTimes(1);
    expect(context.hedgeDeadlineMs).toBe(30);
    expect(context.decision).toBe('forwarded');
  });
});
