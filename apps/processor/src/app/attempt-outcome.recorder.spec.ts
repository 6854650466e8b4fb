import type {
  ClaimedScan,
  ScanClaimRepository,
} from '@gatehouse/scans/data-access';
import { ScanStatus } from '@gatehouse/shared/contracts';
import type { PinoLogger } from '@gatehouse/shared/logging';
import { register } from 'prom-client';
import { AttemptOutcomeRecorder } from './attempt-outcome.recorder';
import { Attempt, BoundedRetry } from './bounded-retry';
import { ScanWorkerMetrics } from './scan-worker.metrics';
import { StopRun } from './stop-run';

function attempt(): Attempt {
  const scan: ClaimedScan = {
    scanId: 'a',
    attempt: 1,
    seq: 1,
    runAttempt: 1,
    kind: 'simulated',
    target: null,
    leaseUntil: new Date(Date.now() + 10_000),
    reclaimed: false,
  };
  return { scan, leaseUntil: scan.leaseUntil };
}

function recorder(written: boolean | null) {
  const scans = {
    complete: jest.fn(async () => true),
    fail: jest.fn(async () => true),
    release: jest.fn(async () => true),
    cancelled: jest.fn(async () => true),
  };
  // The retry is faked: what it returns stands for how the write ended.
  const retry = {
    write: jest.fn(async (write: () => Promise<boolean>) => {
      await write();
      return written;
    }),
  };
  const logger = { info: jest.fn(), warn: jest.fn() };
  const metrics = new ScanWorkerMetrics();
  return {
    outcomes: new AttemptOutcomeRecorder(
      scans as unknown as ScanClaimRepository,
      'w',
      retry as unknown as BoundedRetry,
      metrics,
      logger as unknown as PinoLogger,
    ),
    scans,
    logger,
    metrics,
  };
}

const events = (mock: jest.Mock) =>
  mock.mock.calls.map(([fields]) => fields.event);

describe('AttemptOutcomeRecorder', () => {
  afterEach(() => register.clear());

  it('writes and logs a completed attempt', async () => {
    const { outcomes, scans, logger } = recorder(true);
    await outcomes.record(attempt(), { status: ScanStatus.Complete }, 0.25);
    expect(scans.complete).toHaveBeenCalledWith('a', 1, 'w', null);
    expect(logger.info).toHaveBeenCalledWith(
      expect.objectContaining({
        event: 'scan.complete',
        from: ScanStatus.Running,
        to: ScanStatus.Complete,
        durationMs: 250,
      }),
      'scan complete',
    );
  });

  it('S-17: writes a run stopped by a cancel as Cancelled, with what the job found', async () => {
    const { outcomes, scans, logger } = recorder(true);
    const stop = new StopRun('cancelled');
    stop.partial = {
      summary: { info: 1, low: 0, medium: 0, high: 0, critical: 0 },
      findings: [],
      tls: null,
      http: null,
    } as never;
    await outcomes.record(attempt(), stop, 0.1);
    expect(scans.cancelled).toHaveBeenCalledWith('a', 1, 'w', stop.partial);
    expect(scans.release).not.toHaveBeenCalled();
    expect(events(logger.info)).toEqual(['scan.cancelled']);
  });

  it('writes a failure with its reason', async () => {
    const { outcomes, scans, logger } = recorder(true);
    await outcomes.record(
      attempt(),
      { status: ScanStatus.Failed, error: 'boom' },
      0,
    );
    expect(scans.fail).toHaveBeenCalledWith(
      'a',
      1,
      'w',
      'boom',
      null,
      undefined,
    );
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ event: 'scan.failed', error: 'boom' }),
      'scan failed',
    );
  });

  it('tells a fenced write from one given up', async () => {
    const fenced = recorder(false);
    await fenced.outcomes.record(attempt(), { status: ScanStatus.Complete }, 0);
    expect(events(fenced.logger.warn)).toEqual(['scan.fenced']);
    register.clear();
    const unrecorded = recorder(null);
    await unrecorded.outcomes.record(
      attempt(),
      { status: ScanStatus.Complete },
      0,
    );
    expect(events(unrecorded.logger.warn)).toEqual(['scan.unrecorded']);
  });

  it('writes nothing for a lost lease and logs why', async () => {
    const { outcomes, scans, logger } = recorder(true);
    await outcomes.record(
      attempt(),
      new StopRun('lease-lost', { cause: 'superseded' }),
      0,
    );
    expect(scans.complete).not.toHaveBeenCalled();
    expect(scans.release).not.toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({
        event: 'scan.lease-lost',
        workerId: 'w',
        cause: 'superseded',
      }),
      expect.any(String),
    );
  });

  it('releases an attempt stopped by shutdown', async () => {
    const { outcomes, scans, logger } = recorder(true);
    await outcomes.record(attempt(), new StopRun('shutdown'), 0);
    expect(scans.release).toHaveBeenCalledWith('a', 1, 'w');
    expect(logger.info).toHaveBeenCalledWith(
      expect.objectContaining({
        event: 'scan.released',
        from: ScanStatus.Running,
        to: ScanStatus.Accepted,
        released: true,
      }),
      'scan released for another worker',
    );
  });
});
