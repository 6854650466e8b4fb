export interface HedgeOptions {
  // Wait this long for a success before firing the extra copies.
  hedgeAfterMs: number;
  // Extra copies fired at most, all at once.
  extra: number;
  // Bound on the whole call.
  deadlineMs: number;
  // Aborts the whole call (the client went away).
  signal?: AbortSignal;
}

export interface HedgedResult<T> {
  value: T;
  // Copies fired in all, the winner included.
  copies: number;
}

// Mapped to 504 by the pipeline (upstream-timeout).
export class HedgeTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    deadlineMs: number,
    // Copies fired before the deadline passed.
    readonly copies = 0,
  ) {
    super(`no successful answer within ${deadlineMs} ms`);
    this.name = 'HedgeTimeoutError';
  }
}

// Mapped to 502 by the pipeline (upstream-unavailable).
export class HedgeFailedError extends Error {
  readonly code = 'HEDGE_ALL_FAILED';
  readonly copies: number;
  constructor(readonly failures: readonly unknown[]) {
    super(
      `all ${failures.length} copies failed: ${failures
        .map((failure) => (failure as Error)?.message ?? String(failure))
        .join('; ')}`,
    );
    this.name = 'HedgeFailedError';
    this.copies = failures.length;
  }
}

export class HedgeAbortedError extends Error {
  constructor() {
    super('the hedged call was aborted');
    this.name = 'AbortError';
  }
}

// G-7: runs `attempt`; if it has not succeeded after hedgeAfterMs, or fails before
// that, fires `extra` more copies. The first success wins and every other copy is
// aborted. All copies failing, the deadline passing or the signal firing reject.
export function hedgedCall<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  options: HedgeOptions,
): Promise<HedgedResult<T>> {
  return new Promise((resolve, reject) => {
    const controllers: AbortController[] = [];
    const failures: unknown[] = [];
    const total = 1 + options.extra;
    let settled = false;
    let extrasFired = options.extra === 0;

    const finish = (settle: () => void, winner?: AbortController): void => {
      if (settled) return;
      settled = true;
      clearTimeout(hedgeTimer);
      clearTimeout(deadlineTimer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const controller of controllers)
        if (controller !== winner) controller.abort();
      settle();
    };
    const launch = (): void => {
      const controller = new AbortController();
      controllers.push(controller);
      attempt(controller.signal).then(
        (value) =>
          finish(
            () => resolve({ value, copies: controllers.length }),
            controller,
          ),
        (error: unknown) => {
          if (settled) return;
          failures.push(error);
          if (!extrasFired) fireExtras();
          else if (failures.length === total)
            finish(() => reject(new HedgeFailedError(failures)));
        },
      );
    };
    const fireExtras = (): void => {
      if (extrasFired || settled) return;
      extrasFired = true;
      clearTimeout(hedgeTimer);
      for (let i = 0; i < options.extra; i++) launch();
    };
    const onAbort = (): void => finish(() => reject(new HedgeAbortedError()));

    const deadlineTimer = setTimeout(
      () =>
        finish(() =>
          reject(new HedgeTimeoutError(options.deadlineMs, controllers.length)),
        ),
      options.deadlineMs,
    );
    const hedgeTimer = setTimeout(fireExtras, options.hedgeAfterMs);
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    launch();
  });
}
