import { hedgedCall, HedgeFailedError, HedgeTimeoutError } from './hedged-call';

interface Script {
  delayMs: number;
  ok: boolean;
}

// Each copy answers as its script entry says; aborted copies record it.
function scripted(script: Script[]) {
  const started: number[] = [];
  const aborted: number[] = [];
  const t0 = Date.now();
  const attempt = (signal: AbortSignal) => {
    const index = started.length;
    started.push(Date.now() - t0);
    const step = script[index];
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          step.ok
            ? resolve(`copy ${index}`)
            : reject(new Error(`copy ${index}`)),
        step.delayMs,
      );
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        aborted.push(index);
        reject(new Error('aborted'));
      });
    });
  };
  return { attempt, started, aborted };
}

const options = { hedgeAfterMs: 50, extra: 2, deadlineMs: 1_000 };

describe('hedgedCall (G-7)', () => {
  it('answers from the first copy when it is fast, firing no extras', async () => {
    const s = scripted([{ delayMs: 5, ok: true }]);
    await expect(hedgedCall(s.attempt, options)).resolves.toEqual({
      value: 'copy 0',
      copies: 1,
    });
    expect(s.started).toHaveLength(1);
  });

  it('fires the extras after hedgeAfterMs and takes the first success, aborting the rest', async () => {
    const s = scripted([
      { delayMs: 500, ok: true },
      { delayMs: 20, ok: true },
      { delayMs: 300, ok: true },
    ]);
    const result = await hedgedCall(s.attempt, options);
    expect(result).toEqual({ value: 'copy 1', copies: 3 });
    expect(s.started[1]).toBeGreaterThanOrEqual(45);
    expect(s.aborted.sort()).toEqual([0, 2]);
  });

  it('fires the extras at once when the first copy fails early', async () => {
    const s = scripted([
      { delayMs: 5, ok: false },
      { delayMs: 5, ok: true },
      { delayMs: 5, ok: true },
    ]);
    // A long hedge delay, so that "at once" is unmistakable even on a loaded machine.
    const result = await hedgedCall(s.attempt, {
      ...options,
      hedgeAfterMs: 500,
    });
    expect(result.value).toBe('copy 1');
    expect(s.started[1]).toBeLessThan(250);
  });

  it('rejects with HedgeFailedError when every copy fails', async () => {
    const s = scripted([
      { delayMs: 5, ok: false },
      { delayMs: 5, ok: false },
      { delayMs: 5, ok: false },
    ]);
    await expect(hedgedCall(s.attempt, options)).rejects.toBeInstanceOf(
      HedgeFailedError,
    );
  });

  it('rejects with HedgeTimeoutError (code ETIMEDOUT) at the deadline and aborts every copy', async () => {
    const s = scripted([
      { delayMs: 900, ok: true },
      { delayMs: 900, ok: true },
      { delayMs: 900, ok: true },
    ]);
    const error = await hedgedCall(s.attempt, {
      ...options,
      deadlineMs: 100,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HedgeTimeoutError);
    expect((error as HedgeTimeoutError).code).toBe('ETIMEDOUT');
    expect(s.aborted.sort()).toEqual([0, 1, 2]);
  });

  it('with no extras, one failure is final', async () => {
    const s = scripted([{ delayMs: 5, ok: false }]);
    await expect(
      hedgedCall(s.attempt, { ...options, extra: 0 }),
    ).rejects.toBeInstanceOf(HedgeFailedError);
    expect(s.started).toHaveLength(1);
  });

  it('stops when the caller aborts', async () => {
    const s = scripted([{ delayMs: 500, ok: true }]);
    const controller = new AbortController();
    const call = hedgedCall(s.attempt, {
      ...options,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 10);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(s.aborted).toEqual([0]);
  });
});
