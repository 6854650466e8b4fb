import { WakeableSleep } from './wakeable-sleep';

describe('WakeableSleep (S-8)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('resolves after its time', async () => {
    const pause = new WakeableSleep();
    let woke = false;
    const slept = pause.sleep(1_000).then(() => (woke = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(woke).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await slept;
    expect(woke).toBe(true);
  });

  it('resolves at wake(), even from an endless sleep, and clears its timer', async () => {
    const pause = new WakeableSleep();
    const slept = pause.sleep(Number.POSITIVE_INFINITY);
    pause.wake();
    await expect(slept).resolves.toBeUndefined();
    const timed = pause.sleep(60_000);
    pause.wake();
    await timed;
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ignores a wake() with nobody asleep', async () => {
    const pause = new WakeableSleep();
    pause.wake();
    let woke = false;
    const slept = pause.sleep(100).then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    await jest.advanceTimersByTimeAsync(100);
    await slept;
    expect(woke).toBe(true);
  });
});
