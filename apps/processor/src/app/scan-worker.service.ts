import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ClaimedScan, ScanRepository } from '@gatehouse/scans/data-access';
import { ScanStatus } from '@gatehouse/shared/contracts';
import { InjectPinoLogger, PinoLogger } from '@gatehouse/shared/logging';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter, Gauge, Histogram } from 'prom-client';
import { PROCESSOR_CONFIG, ProcessorConfig } from './processor.config';
import { SCAN_JOB, ScanJob, ScanJobError } from './scan-job';

type StopReason = 'lease-lost' | 'shutdown';

class StopRun extends Error {
  // details: why the run stopped, added to the state-change log line.
  constructor(
    readonly reason: StopReason,
    readonly details: Record<string, unknown> = {},
  ) {
    super(reason);
  }
}

// What a write needs to know about the attempt it writes for.
interface Attempt {
  scan: ClaimedScan;
  leaseUntil: Date;
}

interface RunningScan extends Attempt {
  controller: AbortController;
  done: Promise<void>;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

const TIMED_OUT = Symbol('timed out');

// Settles with the promise, or with TIMED_OUT at the deadline (the promise is left to settle
// on its own; its rejection is swallowed).
function untilDeadline<T>(
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

// S-4..S-9: polls, claims under a lease, runs, renews, finishes; drains on shutdown.
@Injectable()
export class ScanWorkerService
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  private readonly running = new Map<string, RunningScan>();
  private stopping = false;
  // Set with `stopping`: in-flight scans still running then are aborted and released.
  private abortAt = Number.POSITIVE_INFINITY;
  // Set with `stopping`: no write, retry or wait of the drain goes past this (S-8).
  private shutdownDeadline = Number.POSITIVE_INFINITY;
  private loop: Promise<void> = Promise.resolve();
  private wakeUp: () => void = () => undefined;

  private readonly claimed = new Counter({
    name: 'scans_claimed_total',
    help: 'Claims won',
    labelNames: ['reclaimed'] as const,
  });
  private readonly finished = new Counter({
    name: 'scans_finished_total',
    help: 'Attempts finished',
    labelNames: ['status'] as const,
  });
  private readonly lost = new Counter({
    name: 'scans_lease_lost_total',
    help: 'Attempts abandoned because another worker took over',
  });
  private readonly released = new Counter({
    name: 'scans_released_total',
    help: 'Attempts given back at shutdown',
  });
  private readonly exhausted = new Counter({
    name: 'scans_exhausted_total',
    help: 'Scans Failed after MAX_ATTEMPTS expired leases',
  });
  private readonly inFlight = new Gauge({
    name: 'scans_in_flight',
    help: 'Scans this worker is running',
  });
  private readonly duration = new Histogram({
    name: 'scan_run_duration_seconds',
    help: 'Time from claim to the end of an attempt',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
  });

  constructor(
    private readonly scans: ScanRepository,
    @Inject(PROCESSOR_CONFIG) private readonly config: ProcessorConfig,
    @Inject(SCAN_JOB) private readonly job: ScanJob,
    @InjectPinoLogger(ScanWorkerService.name)
    private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.logger.info(
      { workerId: this.workerId, concurrency: this.config.CONCURRENCY },
      'worker started',
    );
    this.loop = this.pollLoop();
  }

  // S-8: stop claiming, let in-flight scans finish within the grace period, release the rest.
  // Scans still running at `abortAt` are aborted and released; every write of the drain gives up
  // at `shutdownDeadline` (its lease then expires and another worker reclaims the scan), so the
  // drain ends within SHUTDOWN_GRACE_MS and the process exits 0.
  async beforeApplicationShutdown(): Promise<void> {
    const started = Date.now();
    const grace = this.config.SHUTDOWN_GRACE_MS;
    const reserve = Math.min(1_000, Math.floor(grace / 5));
    this.abortAt = started + grace - reserve;
    this.shutdownDeadline = started + grace - Math.floor(reserve / 4);
    this.stopping = true;
    this.wakeUp();
    // A poll in flight may still win a claim: the loop releases it before it ends.
    if ((await untilDeadline(this.loop, this.shutdownDeadline)) === TIMED_OUT)
      this.logger.warn(
        { workerId: this.workerId },
        'poll still in flight at the shutdown deadline; not waiting for it',
      );
    this.logger.info(
      { workerId: this.workerId, inFlight: this.running.size },
      'draining',
    );
    await untilDeadline(this.allDone(), this.abortAt);
    for (const run of this.running.values())
      run.controller.abort(new StopRun('shutdown'));
    if (
      (await untilDeadline(this.allDone(), this.shutdownDeadline)) === TIMED_OUT
    )
      this.logger.warn(
        {
          workerId: this.workerId,
          inFlight: [...this.running.values()].map((run) => ({
            scanId: run.scan.scanId,
            attempt: run.scan.attempt,
          })),
        },
        'drain deadline reached; leaving the rest to lease expiry',
      );
    else this.logger.info({ workerId: this.workerId }, 'drained');
  }

  private allDone(): Promise<void> {
    return Promise.all([...this.running.values()].map((run) => run.done)).then(
      () => undefined,
    );
  }

  private async pollLoop(): Promise<void> {
    let idleMs = this.config.POLL_MIN_MS;
    while (!this.stopping) {
      if (this.running.size >= this.config.CONCURRENCY) {
        await this.pause(Number.POSITIVE_INFINITY);
        continue;
      }
      let claim: ClaimedScan | null = null;
      try {
        const result = await this.scans.claimNext(this.workerId, {
          leaseMs: this.config.LEASE_MS,
          maxAttempts: this.config.MAX_ATTEMPTS,
        });
        for (const scan of result.exhausted) {
          this.exhausted.inc();
          this.logger.warn(
            {
              event: 'scan.failed',
              scanId: scan.scanId,
              attempt: scan.attempt,
              workerId: this.workerId,
              from: ScanStatus.Running,
              to: ScanStatus.Failed,
              error: scan.error,
            },
            'scan failed: attempts exhausted',
          );
        }
        claim = result.claimed;
      } catch (error) {
        this.logger.warn(
          { err: error, workerId: this.workerId },
          'poll failed; backing off',
        );
      }
      if (claim && this.stopping) {
        // S-8: the claim was won after shutdown began; give it back without running it.
        this.logClaimed(claim);
        this.claimed.inc({ reclaimed: String(claim.reclaimed) });
        await this.release({ scan: claim, leaseUntil: claim.leaseUntil }, 0, {
          claimedWhileStopping: true,
        });
        break;
      }
      if (claim) {
        idleMs = this.config.POLL_MIN_MS;
        this.start(claim);
        continue;
      }
      await this.pause(idleMs);
      idleMs = Math.min(idleMs * 2, this.config.POLL_MAX_MS);
    }
  }

  // Sleeps until the timeout, a free slot, or shutdown, whichever comes first.
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms)
        ? setTimeout(() => done(), ms)
        : undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.wakeUp = () => undefined;
        resolve();
      };
      this.wakeUp = done;
    });
  }

  private start(scan: ClaimedScan): void {
    const key = `${scan.scanId}:${scan.attempt}`;
    const controller = new AbortController();
    const run: RunningScan = {
      scan,
      leaseUntil: scan.leaseUntil,
      controller,
      done: Promise.resolve(),
    };
    this.running.set(key, run);
    this.inFlight.set(this.running.size);
    this.claimed.inc({ reclaimed: String(scan.reclaimed) });
    this.logClaimed(scan);
    run.done = this.execute(run).finally(() => {
      this.running.delete(key);
      this.inFlight.set(this.running.size);
      this.wakeUp();
    });
  }

  private logClaimed(scan: ClaimedScan): void {
    this.logger.info(
      {
        event: 'scan.running',
        scanId: scan.scanId,
        attempt: scan.attempt,
        workerId: this.workerId,
        from: scan.reclaimed
          ? `${ScanStatus.Running} (lease expired)`
          : ScanStatus.Accepted,
        to: ScanStatus.Running,
        leaseUntil: scan.leaseUntil.toISOString(),
      },
      'scan claimed',
    );
  }

  // S-8: gives the attempt back (bounded by the shutdown deadline) and logs the state change.
  private async release(
    attempt: Attempt,
    seconds: number,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const { scan } = attempt;
    const released = await this.retrying(
      () => this.scans.release(scan.scanId, scan.attempt, this.workerId),
      attempt,
    );
    this.released.inc();
    this.duration.observe({ outcome: 'released' }, seconds);
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

  private async execute(run: RunningScan): Promise<void> {
    const { scan, controller } = run;
    const startedAt = Date.now();
    const renewer = this.keepLease(run);
    let outcome:
      | { status: ScanStatus.Complete }
      | { status: ScanStatus.Failed; error: string }
      | StopRun;
    try {
      await this.job(scan, controller.signal);
      outcome = { status: ScanStatus.Complete };
    } catch (error) {
      if (error instanceof StopRun) outcome = error;
      else if (controller.signal.reason instanceof StopRun)
        outcome = controller.signal.reason;
      else
        outcome = {
          status: ScanStatus.Failed,
          error:
            error instanceof ScanJobError
              ? error.message
              : `scan job error: ${String(error)}`,
        };
    }
    await renewer.stop();
    const fields = {
      scanId: scan.scanId,
      attempt: scan.attempt,
      workerId: this.workerId,
    };
    const seconds = (Date.now() - startedAt) / 1_000;

    if (outcome instanceof StopRun && outcome.reason === 'lease-lost') {
      this.lost.inc();
      this.duration.observe({ outcome: 'lease-lost' }, seconds);
      this.logger.warn(
        { event: 'scan.lease-lost', ...fields, ...outcome.details },
        'lease lost: another worker may own this scan now; nothing written',
      );
      return;
    }
    if (outcome instanceof StopRun) {
      await this.release(run, seconds);
      return;
    }
    const written = await this.retrying(
      () =>
        outcome.status === ScanStatus.Complete
          ? this.scans.complete(scan.scanId, scan.attempt, this.workerId)
          : this.scans.fail(
              scan.scanId,
              scan.attempt,
              this.workerId,
              outcome.error,
            ),
      run,
    );
    if (written === null) {
      this.duration.observe({ outcome: 'unrecorded' }, seconds);
      this.logger.warn(
        { event: 'scan.unrecorded', ...fields, outcome: outcome.status },
        'result not recorded: the lease will expire and another worker runs the scan again',
      );
      return;
    }
    if (!written) {
      this.lost.inc();
      this.duration.observe({ outcome: 'fenced' }, seconds);
      this.logger.warn(
        { event: 'scan.fenced', ...fields, outcome: outcome.status },
        'late result ignored: a newer attempt or an end exists',
      );
      return;
    }
    this.finished.inc({ status: outcome.status });
    this.duration.observe({ outcome: outcome.status }, seconds);
    const line = {
      event:
        outcome.status === ScanStatus.Complete
          ? 'scan.complete'
          : 'scan.failed',
      ...fields,
      from: ScanStatus.Running,
      to: outcome.status,
      durationMs: Math.round(seconds * 1_000),
    };
    if (outcome.status === ScanStatus.Complete)
      this.logger.info(line, 'scan complete');
    else this.logger.warn({ ...line, error: outcome.error }, 'scan failed');
  }

  // Renews at a third of the lease. A renewal that lands after the lease in force when it was
  // sent has passed cannot be trusted (another worker may have reclaimed in between, ADR 0002),
  // so the run stops instead, as when the renewal finds the attempt superseded.
  private keepLease(run: RunningScan): { stop(): Promise<void> } {
    const { scan, controller } = run;
    let inFlight: Promise<void> = Promise.resolve();
    const interval = Math.max(50, Math.floor(this.config.LEASE_MS / 3));
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
        const leaseUntil = await this.scans.renewLease(
          scan.scanId,
          scan.attempt,
          this.workerId,
          this.config.LEASE_MS,
        );
        const landedAt = Date.now();
        if (!leaseUntil)
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
        else run.leaseUntil = leaseUntil;
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

  // Writes are retried while the database is briefly away, but never past the lease: after
  // that the fence decides, and it will refuse a stale write anyway. Once stopping, never past
  // the shutdown deadline either (S-8): the write is given up, the lease expires and another
  // worker reclaims the scan, so nothing is lost. Null means it gave up (nothing known to be
  // written); false means the repository refused the write.
  private async retrying(
    write: () => Promise<boolean>,
    attempt: Attempt,
  ): Promise<boolean | null> {
    const fields = {
      scanId: attempt.scan.scanId,
      attempt: attempt.scan.attempt,
      workerId: this.workerId,
    };
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      let failure: unknown;
      try {
        const result = await untilDeadline(write(), this.shutdownDeadline);
        if (result !== TIMED_OUT) return result;
        failure = new Error('write still pending at the shutdown deadline');
      } catch (error) {
        failure = error;
      }
      const now = Date.now();
      if (now + delay >= this.shutdownDeadline) {
        this.logger.error(
          { err: failure, ...fields },
          'shutdown deadline reached: giving up the write; the lease will expire and another worker reclaims the scan',
        );
        return null;
      }
      if (now + delay >= attempt.leaseUntil.getTime()) {
        this.logger.error(
          { err: failure, ...fields },
          'could not record the result before the lease ran out',
        );
        return null;
      }
      await sleep(delay);
    }
  }
}
