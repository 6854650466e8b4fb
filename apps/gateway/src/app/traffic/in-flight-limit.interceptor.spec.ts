import { lastValueFrom, Subject } from 'rxjs';
import {
  callHandler,
  executionFor,
  providersModule,
  proxiedContext,
} from '../testing/gateway.testing';
import { InFlightLimit } from './in-flight.limit';
import { InFlightLimitInterceptor } from './in-flight-limit.interceptor';

describe('InFlightLimitInterceptor (G-6)', () => {
  let interceptor: InFlightLimitInterceptor;
  let inFlight: InFlightLimit;

  beforeEach(async () => {
    const module = await providersModule(
      [InFlightLimitInterceptor, InFlightLimit],
      { MAX_IN_FLIGHT: '1' },
    );
    interceptor = module.get(InFlightLimitInterceptor);
    inFlight = module.get(InFlightLimit);
  });

  it('holds a slot until the exchange ends, and sheds past MAX_IN_FLIGHT with 503', async () => {
    const exchange = new Subject<string>();
    const handled = lastValueFrom(
      interceptor.intercept(executionFor(proxiedContext()), {
        handle: () => exchange,
      }),
    );
    expect(inFlight.current).toBe(1);
    expect(() =>
      interceptor.intercept(executionFor(proxiedContext()), callHandler()),
    ).toThrow(expect.objectContaining({ status: 503 }) as Error);
    exchange.next('answered');
    exchange.complete();
    await expect(handled).resolves.toBe('answered');
    expect(inFlight.current).toBe(0);
  });

  it('gives the slot back when the exchange fails', async () => {
    const exchange = new Subject<string>();
    const handled = lastValueFrom(
      interceptor.intercept(executionFor(proxiedContext()), {
        handle: () => exchange,
      }),
    );
    exchange.error(new Error('reset'));
    await expect(handled).rejects.toThrow('reset');
    expect(inFlight.current).toBe(0);
  });

  it('takes no slot for a WebSocket tunnel, which MAX_TUNNELS bounds', () => {
    const context = proxiedContext();
    context.upgradeHead = Buffer.alloc(0);
    interceptor.intercept(executionFor(context), callHandler());
    expect(inFlight.current).toBe(0);
  });
});
