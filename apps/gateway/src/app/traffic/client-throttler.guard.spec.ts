import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import { Test } from '@nestjs/testing';
import { GATEWAY_CONFIG } from '../gateway.config';
import {
  executionFor,
  proxiedContext,
  testConfig,
} from '../testing/gateway.testing';
import {
  ClientThrottlerGuard,
  clientThrottlerOptions,
} from './client-throttler.guard';
import { MemoryThrottlerStorage } from './memory-throttler.storage';

async function guardWith(
  env: Record<string, string>,
  storage: ThrottlerStorage = new MemoryThrottlerStorage(10),
): Promise<ClientThrottlerGuard> {
  const config = testConfig(env);
  const module = await Test.createTestingModule({
    imports: [ThrottlerModule.forRoot(clientThrottlerOptions(config, storage))],
    providers: [
      ClientThrottlerGuard,
      { provide: GATEWAY_CONFIG, useValue: config },
    ],
  }).compile();
  await module.init();
  return module.get(ClientThrottlerGuard);
}

const from = (client: string) => executionFor(proxiedContext({ client }));

describe('ClientThrottlerGuard (G-6)', () => {
  it('lets RATE_LIMIT requests per client through, then answers 429 with Retry-After', async () => {
    const guard = await guardWith({
      RATE_LIMIT: '2',
      RATE_LIMIT_WINDOW_MS: '60000',
    });
    await expect(guard.canActivate(from('a'))).resolves.toBe(true);
    await expect(guard.canActivate(from('a'))).resolves.toBe(true);
    await expect(guard.canActivate(from('a'))).rejects.toMatchObject({
      status: 429,
      problemType: expect.stringContaining('rate-limited'),
      headers: { 'retry-after': '60' },
    });
    // Another client has its own count.
    await expect(guard.canActivate(from('b'))).resolves.toBe(true);
  });

  it('counts nothing when RATE_LIMIT is 0', async () => {
    const storage = new MemoryThrottlerStorage(10);
    const increment = jest.spyOn(storage, 'increment');
    const guard = await guardWith({ RATE_LIMIT: '0' }, storage);
    await expect(guard.canActivate(from('a'))).resolves.toBe(true);
    expect(increment).not.toHaveBeenCalled();
  });

  it('fails open when the storage is down', async () => {
    const down: ThrottlerStorage = {
      increment: () => Promise.reject(new Error('connection refused')),
    };
    const guard = await guardWith({ RATE_LIMIT: '1' }, down);
    await expect(guard.canActivate(from('a'))).resolves.toBe(true);
    await expect(guard.canActivate(from('a'))).resolves.toBe(true);
  });
});
