import { retryDelayMs } from './retry-backoff';

describe('retryDelayMs (S-16)', () => {
  const options = { baseMs: 1_000, maxMs: 60_000 };

  it('doubles the ceiling per attempt, up to RETRY_MAX_MS', () => {
    const top = (attempt: number) =>
      retryDelayMs(attempt, options, () => 0.999999);
    expect(top(1)).toBe(999);
    expect(top(2)).toBe(1_999);
    expect(top(3)).toBe(3_999);
    expect(top(7)).toBe(59_999);
    expect(top(40)).toBe(59_999);
  });

  it('draws uniformly from zero to the ceiling (full jitter)', () => {
    expect(retryDelayMs(3, options, () => 0)).toBe(0);
    expect(retryDelayMs(3, options, () => 0.5)).toBe(2_000);
  });
});
