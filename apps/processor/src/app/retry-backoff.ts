// S-16: the wait before retrying after attempt `attempt` failed for a passing reason:
// RETRY_BASE_MS × 2^(attempt−1), capped at RETRY_MAX_MS, with full jitter (a uniform draw
// between 0 and that), so that scans failed by one outage do not all come back at once.
export function retryDelayMs(
  attempt: number,
  options: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    options.maxMs,
    options.baseMs * 2 ** Math.min(attempt - 1, 30),
  );
  return Math.floor(random() * ceiling);
}
