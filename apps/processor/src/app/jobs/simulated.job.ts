import { ScanJob, ScanJobError } from '../scan-job';

export interface SimulatedJobOptions {
  minWorkMs: number;
  maxWorkMs: number;
  failureRate: number;
  random?: () => number;
}

// S-4's `simulated` job: MIN_WORK_MS..MAX_WORK_MS of waiting, failing with probability FAILURE_RATE.
export function simulatedScanJob(options: SimulatedJobOptions): ScanJob {
  const random = options.random ?? Math.random;
  return (_scan, signal) =>
    new Promise<void>((resolve, reject) => {
      const workMs =
        options.minWorkMs + random() * (options.maxWorkMs - options.minWorkMs);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        if (random() < options.failureRate)
          reject(new ScanJobError('simulated scan failure'));
        else resolve();
      }, workMs);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
}
