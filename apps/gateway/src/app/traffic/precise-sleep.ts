import { performance } from 'node:perf_hooks';
import { setTimeout as wait } from 'node:timers/promises';

// Sleeps at least `ms` (timers may fire a millisecond early) and returns the time actually slept.
export async function preciseSleep(ms: number): Promise<number> {
  const start = performance.now();
  const until = start + ms;
  await wait(ms);
  for (let now = performance.now(); now < until; now = performance.now()) {
    await wait(Math.max(1, Math.ceil(until - now)));
  }
  return performance.now() - start;
}
