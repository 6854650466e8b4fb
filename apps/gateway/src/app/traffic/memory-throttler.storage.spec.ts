import { MemoryThrottlerStorage } from './memory-throttler.storage';

describe('MemoryThrottlerStorage', () => {
  afterEach(() => jest.useRealTimers());

  it('G-6: blocks a client past the limit until the block expires', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const storage = new MemoryThrottlerStorage(100);
    const hit = () => storage.increment('c', 10_000, 2, 10_000);
    expect((await hit()).isBlocked).toBe(false);
    expect((await hit()).isBlocked).toBe(false);
    const third = await hit();
    expect(third).toMatchObject({ isBlocked: true, timeToBlockExpire: 10 });
    expect(
      (await storage.increment('other', 10_000, 2, 10_000)).isBlocked,
    ).toBe(false);
    jest.setSystemTime(1_000_000 + 10_001);
    expect(await hit()).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('G-5: remembers a bounded number of clients', async () => {
    const storage = new MemoryThrottlerStorage(100);
    for (let i = 0; i < 1000; i++)
      await storage.increment(`c${i}`, 60_000, 1, 60_000);
    // The first client was evicted, so it starts a fresh window.
    expect((await storage.increment('c0', 60_000, 1, 60_000)).totalHits).toBe(
      1,
    );
  });
});
