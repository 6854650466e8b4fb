import { ScanClaimRepository } from '@gatehouse/scans/data-access';
import { PinoLogger } from '@gatehouse/shared/logging';
import { Attempt } from './bounded-retry';
import { StopRun } from './stop-run';

// A run whose lease is kept: renewals move `leaseUntil` on, and a lost lease aborts it.
export interface LeasedRun extends Attempt {
  controller: AbortController;
}

export interface LeaseRenewal {
  // Stops renewing once the renewal in flight, if any, has settled.
  stop(): Promise<void>;
}

// Renews at a third of the lease. A renewal that lands after the lease in force when it was
// sent has passed cannot be trusted (another worker may have reclaimed in between, ADR 0002),
// so the run stops instead, as when the renewal finds the attempt superseded.
export class LeaseKeeper {
  constructor(
    private readonly scans: ScanClaimRepository,
    private readonly workerId: string,
    private readonly leaseMs: number,
    private readonly logger: PinoLogger,
  ) {}

  keep(run: LeasedRun): LeaseRenewal {
    const { scan, controller } = run;
    let inFlight: Promise<void> = Promise.resolve();
    const interval = Math.max(50, Math.floor(this.leaseMs / 3));
    const renew = async () => {
      if (controller.signal.aborted) return;
      const previousLeaseUntil = run.leaseUntil;
      if (Date.now() >= previousLeaseUntil.getTime()) {
        controller.abort(
          new StopRun('lease-lost', {
            cause: 'lease expired before it could be renewed',
            leaseUntil: previousLeaseUntil.toISOString(),
          }),
        );
        return;
      }
      try {
        const renewed = await this.scans.renewLease(
          scan.scanId,
          scan.seq,
          this.workerId,
          this.leaseMs,
        );
        const landedAt = Date.now();
        if (!renewed)
          controller.abort(
            new StopRun('lease-lost', {
              cause: 'renewal found a later entry in the attempt log',
            }),
          );
        else if (landedAt >= previousLeaseUntil.getTime())
          controller.abort(
            new StopRun('lease-lost', {
              cause: 'renewal landed after the previous lease had expired',
              leaseUntil: previousLeaseUntil.toISOString(),
              renewedAt: new Date(landedAt).toISOString(),
            }),
          );
        else {
          run.leaseUntil = renewed.leaseUntil;
          // S-17: the job's signal fires; the run ends Cancelled with what it found.
          if (renewed.cancelRequested)
            controller.abort(
              new StopRun('cancelled', { cause: 'a cancel was asked for' }),
            );
        }
      } catch (error) {
        this.logger.warn(
          {
            err: error,
            scanId: scan.scanId,
            attempt: scan.attempt,
            workerId: this.workerId,
          },
          'lease renewal failed; will retry',
        );
      }
    };
    const timer = setInterval(() => {
      inFlight = inFlight.then(renew);
    }, interval);
    return {
      stop: async () => {
        clearInterval(timer);
        await inFlight;
      },
    };
  }
}
