import type { ClaimedScan } from '@gatehouse/scans/data-access';
import type { PinoLogger } from '@gatehouse/shared/logging';
import { Attempt, BoundedRetry } from './bounded-retry';

function attempt(leaseMs: number): Attempt {
  const scan: ClaimedScan = {
    scanId: 'a',
    attempt: 2,
    seq: 2,
    runAttempt: 2,
    kind: 'simulated',
    target: null,
    leaseUntil: new Date(Date.now() + leaseMs),
    reclaimed: false,
  };
  return { scan, leaseUntil: scan.leaseUntil };
}

function fakeLogger() {
  return { error: jest.fn() } as unknown as PinoLogger & { error: jest.Mock };
}

describe('BoundedRetry', () => {
  it('retries a failing write until it lands, and returns what the repository said', async () => {
    const logger = fakeLogger();
    const retry = new BoundedRetry('w', logger, () => Number.POSITIVE_INFINITY);
    const write = jest
      .fn<Promise<boolean>, []>()
      .mockRejectedValueOnce(new Error('database away'))
      .mockResolvedValueOnce(false);
    await expect(retry.write(write, attempt(10_000))).resolves.toBe(false);
    expect(write).toHaveBeenCalledTimes(2);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('gives up with null before the lease runs out', async () => {
    const logger = fakeLogger();
    const retry = new BoundedRetry('w', logger, () => Number.POSITIVE_INFINITY);
    const write = jest.fn(async (): Promise<boolean> => {
      throw new Error('database away');
    });
    await expect(retry.write(write, attempt(250))).resolves.toBeNull();
    // Tries at 0, 100 and 300 ms would pass the lease: the third is never made.
    expect(write).toHaveBeenCalledTimes(2);
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ scanId: 'a', attempt: 2, workerId: 'w' }),
      'could not record the result before the lease ran out',
    );
  });

  it('gives up a write still pending at the shutdown deadline', async () => {
    const logger = fakeLogger();
    const deadline = Date.now() + 50;
    const retry = new BoundedRetry('w', logger, () => deadline);
    const started = Date.now();
    const result = await retry.write(
      () => new Promise<boolean>(() => undefined),
      attempt(10_000),
    );
    expect(result).toBeNull();
    expect(Date.now() - started).toBeLessThan(200);
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ scanId: 'a', attempt: 2, workerId: 'w' }),
      expect.stringContaining('shutdown deadline reached'),
    );
  });

  it('reads the shutdown deadline afresh on every try', async () => {
    const logger = fakeLogger();
    let deadline = Number.POSITIVE_INFINITY;
    const retry = new BoundedRetry('w', logger, () => deadline);
    const write = jest.fn(async (): Promise<boolean> => {
      deadline = Date.now() + 50;
      throw new Error('database away');
    });
    await expect(retry.write(write, attempt(10_000))).resolves.toBeNull();
    expect(write).toHaveBeenCalledTimes(1);
  });
});
