import { loadConfig } from '@gatehouse/shared/config';
import { ProblemException } from '@gatehouse/shared/http';
import { gatewaySchema } from '../gateway.config';
import { InFlightLimit } from './in-flight.limit';

describe('InFlightLimit (G-6)', () => {
  const limit = () =>
    new InFlightLimit(loadConfig(gatewaySchema, { MAX_IN_FLIGHT: '2' }));

  it('sheds past MAX_IN_FLIGHT with 503 and retry-after', () => {
    const inFlight = limit();
    inFlight.acquire();
    inFlight.acquire();
    let error: unknown;
    try {
      inFlight.acquire();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).getStatus()).toBe(503);
    expect((error as ProblemException).headers['retry-after']).toBe('1');
    expect(inFlight.current).toBe(2);
  });

  it('gives each slot back exactly once', () => {
    const inFlight = limit();
    const release = inFlight.acquire();
    inFlight.acquire();
    release();
    release();
    expect(inFlight.current).toBe(1);
    expect(() => inFlight.acquire()).not.toThrow();
    expect(inFlight.current).toBe(2);
  });
});
