import { ScanClaimRepository } from '@gatehouse/scans/data-access';
import { ScanResult, ScanStatus } from '@gatehouse/shared/contracts';
import { PinoLogger } from '@gatehouse/shared/logging';
import { Attempt, BoundedRetry } from './bounded-retry';
import { ScanWorkerMetrics } from './scan-worker.metrics';
import { StopRun } from './stop-run';

export type AttemptOutcome =
  | { status: ScanStatus.Complete; result?: ScanResult | null }
  | {
      status: ScanStatus.Failed;
      error: string;
      result?: ScanResult | null;
      errorClass?: 'transient' | 'permanent';
      // S-16: a transient failure with attempts left waits until then, queued again.
      retryAt?: Date;
    }
  | StopRun;

// Writes how an attempt ended (fenced by attempt and worker), counts it, and logs the state
// change. Writes go through the bounded retry, so none outlives the lease or the drain.
export class AttemptOutcomeRecorder {
  constructor(
    private readonly scans: ScanClaimRepository,
    private readonly workerId: string,
    private readonly retry: BoundedRetry,
    private readonly metrics: ScanWorkerMetrics,
    private readonly logger: PinoLogger,
  ) {}

  async record(
    attempt: Attempt,
    outcome: AttemptOutcome,
    seconds: number,
  ): Promise<void> {
    const { scan } = attempt;
    const fields = {
      scanId: scan.scanId,
      attempt: scan.attempt,
      workerId: this.workerId,
    };

    if (outcome instanceof StopRun && outcome.reason === 'lease-lost') {
      this.metrics.lost.inc();
      this.metrics.duration.observe({ outcome: 'lease-lost' }, seconds);
      this.logger.warn(
        { event: 'scan.lease-lost', ...fields, ...outcome.details },
        'lease lost: another worker may own this scan now; nothing written',
      );
      return;
    }
    if (outcome instanceof StopRun && outcome.reason === 'cancelled') {
      await this.cancelled(attempt, outcome, seconds);
      return;
    }
    if (outcome instanceof StopRun) {
      await this.release(attempt, seconds);
      return;
    }
    if (outcome.status === ScanStatus.Failed && outcome.retryAt) {
      await this.retryLater(attempt, outcome.error, outcome.retryAt, seconds);
      return;
    }
    const written = await this.retry.write(
      () =>
        outcome.status === ScanStatus.Complete
          ? this.scans.complete(
              scan.scanId,
              scan.seq,
              this.workerId,
              outcome.result ?? null,
            )
          : this.scans.fail(
              scan.scanId,
              scan.seq,
              this.workerId,
              outcome.error,
              outcome.result ?? null,
              outcome.errorClass,
            ),
      attempt,
    );
    if (written === null) {
      this.metrics.duration.observe({ outcome: 'unrecorded' }, seconds);
      this.logger.warn(
        { event: 'scan.unrecorded', ...fields, outcome: outcome.status },
        'result not recorded: the lease will expire and another worker runs the scan again',
      );
      return;
    }
    if (!written) {
      this.metrics.lost.inc();
      this.metrics.duration.observe({ outcome: 'fenced' }, seconds);
      this.logger.warn(
        { event: 'scan.fenced', ...fields, outcome: outcome.status },
        'late result ignored: a newer attempt or an end exists',
      );
      return;
    }
    this.metrics.finished.inc({ status: outcome.status });
    this.metrics.duration.observe({ outcome: outcome.status }, seconds);
    const line = {
      event:
        outcome.status === ScanStatus.Complete
          ? 'scan.complete'
          : 'scan.failed',
      ...fields,
      from: ScanStatus.Running,
      to: outcome.status,
      kind: scan.kind,
      durationMs: Math.round(seconds * 1_000),
      ...(outcome.result ? { findings: outcome.result.summary } : {}),
    };
    if (outcome.status === ScanStatus.Complete)
      this.logger.info(line, 'scan complete');
    else
      this.logger.warn(
        { ...line, error: outcome.error, errorClass: outcome.errorClass },
        'scan failed',
      );
  }

  // S-17: the run stopped because a cancel was asked for: Cancelled, with what the job found.
  private async cancelled(
    attempt: Attempt,
    stop: StopRun,
    seconds: number,
  ): Promise<void> {
    const { scan } = attempt;
    const written = await this.retry.write(
      () =>
        this.scans.cancelled(
          scan.scanId,
          scan.seq,
          this.workerId,
          stop.partial,
        ),
      attempt,
    );
    this.metrics.finished.inc({ status: ScanStatus.Cancelled });
    this.metrics.duration.observe({ outcome: ScanStatus.Cancelled }, seconds);
    this.logger.info(
      {
        event: 'scan.cancelled',
        scanId: scan.scanId,
        attempt: scan.attempt,
        workerId: this.workerId,
        from: ScanStatus.Running,
        to: ScanStatus.Cancelled,
        written: written === true,
        ...(stop.partial ? { findings: stop.partial.summary } : {}),
      },
      written
        ? 'scan cancelled by request while running'
        : 'cancel not recorded: the attempt had passed on, or the store did not answer in time',
    );
  }

  // S-16: a transient failure with attempts left: the scan waits in the queue until `retryAt`.
  private async retryLater(
    attempt: Attempt,
    error: string,
    retryAt: Date,
    seconds: number,
  ): Promise<void> {
    const { scan } = attempt;
    const queued = await this.retry.write(
      () =>
        this.scans.release(scan.scanId, scan.seq, this.workerId, {
          nextAttemptAt: retryAt,
          error,
        }),
      attempt,
    );
    this.metrics.retried.inc();
    this.metrics.duration.observe({ outcome: 'retry' }, seconds);
    this.logger.warn(
      {
        event: 'scan.retry-scheduled',
        scanId: scan.scanId,
        attempt: scan.attempt,
        workerId: this.workerId,
        from: ScanStatus.Running,
        to: ScanStatus.Accepted,
        error,
        errorClass: 'transient',
        nextAttemptAt: retryAt.toISOString(),
        queued: queued === true,
      },
      queued
        ? 'scan failed for a passing reason; queued again for a later attempt'
        : 'retry not queued: the lease had passed on, or the store did not answer in time',
    );
  }

  // S-8: gives the attempt back (bounded by the shutdown deadline) and logs the state change.
  async release(
    attempt: Attempt,
    seconds: number,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const { scan } = attempt;
    const released = await this.retry.write(
      () => this.scans.release(scan.scanId, scan.seq, this.workerId),
      attempt,
    );
    this.metrics.released.inc();
    this.metrics.duration.observe({ outcome: 'released' }, seconds);
    this.logger.info(
      {
        event: 'scan.released',
        scanId: scan.scanId,
        attempt: scan.attempt,
        workerId: this.workerId,
        from: ScanStatus.Running,
        to: ScanStatus.Accepted,
        released: released === true,
        ...extra,
      },
      released
        ? 'scan released for another worker'
        : released === false
          ? 'scan not released: its lease had already passed on'
          : 'scan not released in time: its lease will expire and another worker reclaims it',
    );
  }
}
