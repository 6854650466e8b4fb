import { ProblemException } from '@gatehouse/shared/http';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { GatewayConfig } from '../gateway.config';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RateLimit } from './rate.limit';

const config = {
  RATE_LIMIT: 2,
  RATE_LIMIT_WINDOW_MS: 5_000,
} as GatewayConfig;

describe('RateLimit', () => {
  it('G-6: answers 429 with Retry-After past the limit, per client', async () => {
    const guard = new RateLimit(new MemoryThrottlerStorage(100), config);
    expect(guard.enabled).toBe(true);
    await guard.check('a');
    await guard.check('a');
    const error = await guard.check('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).getStatus()).toBe(429);
    expect((error as ProblemException).headers['retry-after']).toBe('5');
    await expect(guard.check('b')).resolves.toBeUndefined();
  });

  it('G-6: fails open when the storage is down', async () => {
    const broken: ThrottlerStorage = {
      increment: () => Promise.reject(new Error('down')),
    };
    const guard = new RateLimit(broken, config);
    await expect(guard.check('a')).resolves.toBeUndefined();
  });

  it('is off with RATE_LIMIT=0', () => {
    const guard = new RateLimit(new MemoryThrottlerStorage(100), {
      ...config,
      RATE_LIMIT: 0,
    });
    expect(guard.enabled).toBe(false);
  });
});
