import type { ClaimedScan } from '@gatehouse/scans/data-access';
import { ScanJobError } from '../scan-job';
import { simulatedScanJob } from './simulated.job';

const scan: ClaimedScan = {
  scanId: 's',
  attempt: 1,
  seq: 1,
  runAttempt: 1,
  kind: 'simulated',
  target: null,
  leaseUntil: new Date(),
  reclaimed: false,
};

describe('simulatedScanJob (S-4)', () => {
  it('succeeds when the draw is above FAILURE_RATE', async () => {
    const job = simulatedScanJob({
      minWorkMs: 1,
      maxWorkMs: 2,
      failureRate: 0.5,
      random: () => 0.9,
    });
    await expect(
      job(scan, new AbortController().signal),
    ).resolves.toBeUndefined();
  });

  it('fails with a reason when the draw is below FAILURE_RATE', async () => {
    const job = simulatedScanJob({
      minWorkMs: 1,
      maxWorkMs: 2,
      failureRate: 0.5,
      random: () => 0.1,
    });
    await expect(job(scan, new AbortController().signal)).rejects.toThrow(
      ScanJobError,
    );
  });

  it('stops early when aborted', async () => {
    const job = simulatedScanJob({
      minWorkMs: 60_000,
      maxWorkMs: 60_000,
      failureRate: 0,
    });
    const controller = new AbortController();
    const running = job(scan, controller.signal);
    controller.abort(new Error('stop'));
    await expect(running).rejects.toThrow('stop');
  });
});
