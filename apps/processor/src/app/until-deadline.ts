export const TIMED_OUT = Symbol('timed out');

// Settles with the promise, or with TIMED_OUT at the deadline (the promise is left to settle
// on its own; its rejection is swallowed).
export function untilDeadline<T>(
  promise: Promise<T>,
  deadline: number,
): Promise<T | typeof TIMED_OUT> {
  if (!Number.isFinite(deadline)) return promise;
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(
      () => resolve(TIMED_OUT),
      Math.max(0, deadline - Date.now()),
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
