import type {
  ClaimedScan,
  ScanClaimRepository,
} from '@gatehouse/scans/data-access';
import type { PinoLogger } from '@gatehouse/shared/logging';
import { LeasedRun, LeaseKeeper } from './lease-keeper';
import { StopRun } from './stop-run';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits for what a renewal tick does rather than for a fixed time: ticks run late on a loaded machine.
async function until(
  condition: () => boolean,
  timeoutMs = 3_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

function leasedRun(leaseMs: number): LeasedRun {
  const scan: ClaimedScan = {
    scanId: 'a',
    attempt: 1,
    seq: 1,
    runAttempt: 1,
    kind: 'simulated',
    target: null,
    leaseUntil: new Date(Date.now() + leaseMs),
    reclaimed: false,
  };
  return {
    scan,
    leaseUntil: scan.leaseUntil,
    controller: new AbortController(),
  };
}

function keeper(renewLease: jest.Mock, leaseMs = 150) {
  const logger = { warn: jest.fn() };
  const scans = { renewLease } as unknown as ScanClaimRepository;
  return {
    leases: new LeaseKeeper(
      scans,
      'w',
      leaseMs,
      logger as unknown as PinoLogger,
    ),
    logger,
  };
}

describe('LeaseKeeper', () => {
  it('renews at a third of the lease and moves the lease on', async () => {
    const renewed = new Date(Date.now() + 10_000);
    const renewLease = jest.fn(async () => ({
      leaseUntil: renewed,
      cancelRequested: false,
    }));
    const { leases } = keeper(renewLease);
    const run = leasedRun(150);
    const renewal = leases.keep(run);
    await until(() => run.leaseUntil === renewed);
    await renewal.stop();
    expect(renewLease).toHaveBeenCalledWith('a', 1, 'w', 150);
    expect(run.leaseUntil).toBe(renewed);
    expect(run.controller.signal.aborted).toBe(false);
  });

  it('S-17: aborts the run as cancelled when the renewal finds a cancel asked for', async () => {
    const renewed = new Date(Date.now() + 10_000);
    const { leases } = keeper(
      jest.fn(async () => ({ leaseUntil: renewed, cancelRequested: true })),
    );
    const run = leasedRun(150);
    const renewal = leases.keep(run);
    await until(() => run.controller.signal.aborted);
    await renewal.stop();
    expect(run.controller.signal.reason).toBeInstanceOf(StopRun);
    expect(run.controller.signal.reason).toMatchObject({ reason: 'cancelled' });
    expect(run.leaseUntil).toBe(renewed);
  });

  it('aborts the run when the renewal finds the attempt superseded', async () => {
    const { leases } = keeper(jest.fn(async () => null));
    const run = leasedRun(150);
    const renewal = leases.keep(run);
    await until(() => run.controller.signal.aborted);
    await renewal.stop();
    expect(run.controller.signal.reason).toBeInstanceOf(StopRun);
    expect(run.controller.signal.reason).toMatchObject({
      reason: 'lease-lost',
      details: { cause: 'renewal found a later entry in the attempt log' },
    });
  });

  it('aborts the run when the lease passed before a renewal could be sent', async () => {
    const renewLease = jest.fn();
    const { leases } = keeper(renewLease);
    const run = leasedRun(150);
    run.leaseUntil = new Date(Date.now() - 1);
    const renewal = leases.keep(run);
    await until(() => run.controller.signal.aborted);
    await renewal.stop();
    expect(renewLease).not.toHaveBeenCalled();
    expect(run.controller.signal.reason).toMatchObject({
      reason: 'lease-lost',
      details: { cause: 'lease expired before it could be renewed' },
    });
  });

  it('logs a failed renewal and tries again', async () => {
    const renewLease = jest.fn(async () => {
      throw new Error('database away');
    });
    const { leases, logger } = keeper(renewLease);
    const run = leasedRun(10_000);
    const renewal = leases.keep(run);
    await until(() => renewLease.mock.calls.length >= 2);
    await renewal.stop();
    expect(renewLease.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ scanId: 'a', attempt: 1, workerId: 'w' }),
      'lease renewal failed; will retry',
    );
    expect(run.controller.signal.aborted).toBe(false);
  });

  it('stop() waits for the renewal in flight and ends the renewals', async () => {
    let settled = false;
    const renewLease = jest.fn(async () => {
      await sleep(40);
      settled = true;
      return {
        leaseUntil: new Date(Date.now() + 10_000),
        cancelRequested: false,
      };
    });
    const { leases } = keeper(renewLease);
    const renewal = leases.keep(leasedRun(150));
    await until(() => renewLease.mock.calls.length === 1);
    await renewal.stop();
    expect(settled).toBe(true);
    await sleep(60);
    expect(renewLease).toHaveBeenCalledTimes(1);
  });
});
