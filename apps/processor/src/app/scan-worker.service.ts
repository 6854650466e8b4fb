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
  constructor(readonly reason: StopReason) {
    super(reason);
  }
}

interface RunningScan {
  scan: ClaimedScan;
  leaseUntil: Date;
  controller: AbortController;
  done: Promise<void>;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

// S-4..S-9: polls, claims under a lease, runs, renews, finishes; drains on shutdown.
@Injectable()
export class ScanWorkerService
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  private readonly running = new Map<string, RunningScan>();
  private stopping = false;
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
  async beforeApplicationShutdown(): Promise<void> {
    const started = Date.now();
    this.stopping = true;
    this.wakeUp();
    await this.loop;
    const reserve = Math.min(
      1_000,
      Math.floor(this.config.SHUTDOWN_GRACE_MS / 5),
    );
    const deadline = started + this.config.SHUTDOWN_GRACE_MS - reserve;
    this.logger.info(
      { workerId: this.workerId, inFlight: this.running.size },
      'draining',
    );
    await Promise.race([
      this.allDone(),
      sleep(Math.max(0, deadline - Date.now())),
    ]);
    for (const run of this.running.values())
      run.controller.abort(new StopRun('shutdown'));
    await this.allDone();
    this.logger.info({ workerId: this.workerId }, 'drained');
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
    run.done = this.execute(run).finally(() => {
      this.running.delete(key);
      this.inFlight.set(this.running.size);
      this.wakeUp();
    });
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
        { event: 'scan.lease-lost', ...fields },
        'lease lost: another worker owns this scan now; nothing written',
      );
      return;
    }
    if (outcome instanceof StopRun) {
      const released = await this.retrying(
        () => this.scans.release(scan.scanId, scan.attempt, this.workerId),
        run,
      );
      this.released.inc();
      this.duration.observe({ outcome: 'released' }, seconds);
      this.logger.info(
        {
          event: 'scan.released',
          ...fields,
          from: ScanStatus.Running,
          to: ScanStatus.Accepted,
          released,
        },
        released
          ? 'scan released for another worker'
          : 'scan not released: its lease had already passed on',
      );
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

  // Renews at a third of the lease. A renewal that lands after the lease has already passed
  // cannot be trusted (another worker may have taken over), so the run stops instead.
  private keepLease(run: RunningScan): { stop(): Promise<void> } {
    const { scan, controller } = run;
    let inFlight: Promise<void> = Promise.resolve();
    const interval = Math.max(50, Math.floor(this.config.LEASE_MS / 3));
    const renew = async () => {
      if (Date.now() >= run.leaseUntil.getTime()) {
        controller.abort(new StopRun('lease-lost'));
        return;
      }
      try {
        const leaseUntil = await this.scans.renewLease(
          scan.scanId,
          scan.attempt,
          this.workerId,
          this.config.LEASE_MS,
        );
        if (leaseUntil) run.leaseUntil = leaseUntil;
        else controller.abort(new StopRun('lease-lost'));
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
  // that the fence decides, and it will refuse a stale write anyway.
  private async retrying(
    write: () => Promise<boolean>,
    run: RunningScan,
  ): Promise<boolean> {
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await write();
      } catch (error) {
        if (Date.now() + delay >= run.leaseUntil.getTime()) {
          this.logger.error(
            {
              err: error,
              scanId: run.scan.scanId,
              attempt: run.scan.attempt,
              workerId: this.workerId,
            },
            'could not record the result before the lease ran out',
          );
          return false;
        }
        await sleep(delay);
      }
    }
  }
}
