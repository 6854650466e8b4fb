import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import {
  ClaimedScan,
  isStoreUnavailable,
  ScanClaimRepository,
} from '@gatehouse/scans/data-access';
import { ScanStatus } from '@gatehouse/shared/contracts';
import { InjectPinoLogger, PinoLogger } from '@gatehouse/shared/logging';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  AttemptOutcome,
  AttemptOutcomeRecorder,
} from './attempt-outcome.recorder';
import { BoundedRetry } from './bounded-retry';
import { LeasedRun, LeaseKeeper } from './lease-keeper';
import { retryDelayMs } from './retry-backoff';
import { PROCESSOR_CONFIG, ProcessorConfig } from './processor.config';
import { SCAN_JOB, ScanJob, ScanJobError } from './scan-job';
import { ScanWorkerMetrics } from './scan-worker.metrics';
import { StopRun } from './stop-run';
import { TIMED_OUT, untilDeadline } from './until-deadline';
import { WakeableSleep } from './wakeable-sleep';

// S-11: the summary counters are recounted when a worker falls idle (a quiet queue gives an exact
// recount), after it ran something since the last recount, or at least this often while idle.
const IDLE_REPAIR_AFTER_MS = 1_000;
const IDLE_REPAIR_EVERY_MS = 60_000;

interface RunningScan extends LeasedRun {
  done: Promise<void>;
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
  private lastClaimAt = 0;
  private lastRepairAt = 0;
  private claimedSinceRepair = false;
  private readonly pauses = new WakeableSleep();

  private readonly leases: LeaseKeeper;
  private readonly outcomes: AttemptOutcomeRecorder;

  constructor(
    private readonly scans: ScanClaimRepository,
    @Inject(PROCESSOR_CONFIG) private readonly config: ProcessorConfig,
    @Inject(SCAN_JOB) private readonly job: ScanJob,
    @InjectPinoLogger(ScanWorkerService.name)
    private readonly logger: PinoLogger,
    private readonly metrics: ScanWorkerMetrics,
  ) {
    this.leases = new LeaseKeeper(
      scans,
      this.workerId,
      config.LEASE_MS,
      logger,
    );
    this.outcomes = new AttemptOutcomeRecorder(
      scans,
      this.workerId,
      new BoundedRetry(this.workerId, logger, () => this.shutdownDeadline),
      metrics,
      logger,
    );
  }

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
    this.pauses.wake();
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
    let prepared = false;
    while (!this.stopping) {
      if (!prepared) {
        // ADR 0006: indexes and the move of open work into its own collection, retried here
        // with back-off, so a database that is down at start-up never blocks boot or crashes it.
        prepared = await this.prepare();
        if (!prepared) {
          await this.pauses.sleep(idleMs);
          idleMs = Math.min(idleMs * 2, this.config.POLL_MAX_MS);
          continue;
        }
        idleMs = this.config.POLL_MIN_MS;
        await this.repairCounters('start-up');
      }
      const free = this.config.CONCURRENCY - this.running.size;
      if (free <= 0) {
        await this.pauses.sleep(Number.POSITIVE_INFINITY);
        continue;
      }
      let claimed: ClaimedScan[] = [];
      try {
        const result = await this.scans.claimBatch(this.workerId, {
          leaseMs: this.config.LEASE_MS,
          maxAttempts: this.config.MAX_ATTEMPTS,
          max: free,
        });
        for (const scan of result.exhausted) {
          this.metrics.exhausted.inc();
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
        claimed = result.claimed;
      } catch (error) {
        // An unreachable store is logged once per outage by ScanStoreConnection; keep backing off.
        if (!isStoreUnavailable(error))
          this.logger.warn(
            { err: error, workerId: this.workerId },
            'poll failed; backing off',
          );
      }
      if (claimed.length > 0 && this.stopping) {
        // S-8: claims won after shutdown began; give them back without running them.
        await Promise.all(
          claimed.map((claim) => {
            this.logClaimed(claim);
            this.metrics.claimed.inc({ reclaimed: String(claim.reclaimed) });
            return this.outcomes.release(
              { scan: claim, leaseUntil: claim.leaseUntil },
              0,
              { claimedWhileStopping: true },
            );
          }),
        );
        break;
      }
      if (claimed.length > 0) {
        idleMs = this.config.POLL_MIN_MS;
        this.lastClaimAt = Date.now();
        this.claimedSinceRepair = true;
        for (const claim of claimed) this.start(claim);
        continue;
      }
      const now = Date.now();
      if (
        this.running.size === 0 &&
        now - this.lastClaimAt >= IDLE_REPAIR_AFTER_MS &&
        (this.claimedSinceRepair ||
          now - this.lastRepairAt >= IDLE_REPAIR_EVERY_MS)
      )
        await this.repairCounters('idle');
      await this.pauses.sleep(idleMs);
      idleMs = Math.min(idleMs * 2, this.config.POLL_MAX_MS);
    }
  }

  private async prepare(): Promise<boolean> {
    try {
      const enqueued = await this.scans.prepare();
      this.logger.info(
        { event: 'scan-queue.ready', workerId: this.workerId, enqueued },
        'open-work queue ready',
      );
      return true;
    } catch (error) {
      // An unreachable store is logged once per outage by ScanStoreConnection.
      if (!isStoreUnavailable(error))
        this.logger.warn(
          { err: error, workerId: this.workerId },
          'preparing the open-work queue failed; retrying with back-off',
        );
      return false;
    }
  }

  // S-11: recounts the summary counters from the scans (docs/scans.md); a failure waits for
  // the next chance.
  private async repairCounters(reason: 'start-up' | 'idle'): Promise<void> {
    this.lastRepairAt = Date.now();
    this.claimedSinceRepair = false;
    try {
      const repaired = await this.scans.repairSummary({
        onlyIfNeverRun: reason === 'start-up',
      });
      if (repaired === null) return;
      const { before, after } = repaired;
      const drift = Object.keys(after).some(
        (key) =>
          before[key as keyof typeof before] !==
          after[key as keyof typeof after],
      );
      this.logger[drift ? 'info' : 'debug'](
        {
          event: 'scan-counters.repaired',
          workerId: this.workerId,
          reason,
          before,
          after,
        },
        drift
          ? 'summary counters recounted: they had drifted'
          : 'summary counters recounted',
      );
    } catch (error) {
      if (!isStoreUnavailable(error))
        this.logger.warn(
          { err: error, workerId: this.workerId },
          'recounting the summary counters failed; trying again later',
        );
    }
  }

  private start(scan: ClaimedScan): void {
    const key = `${scan.scanId}:${scan.seq}`;
    const controller = new AbortController();
    const run: RunningScan = {
      scan,
      leaseUntil: scan.leaseUntil,
      controller,
      done: Promise.resolve(),
    };
    this.running.set(key, run);
    this.metrics.inFlight.set(this.running.size);
    this.metrics.claimed.inc({ reclaimed: String(scan.reclaimed) });
    this.logClaimed(scan);
    run.done = this.execute(run).finally(() => {
      this.running.delete(key);
      this.metrics.inFlight.set(this.running.size);
      this.pauses.wake();
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

  private async execute(run: RunningScan): Promise<void> {
    const { scan, controller } = run;
    const startedAt = Date.now();
    const renewer = this.leases.keep(run);
    let outcome: AttemptOutcome;
    try {
      const result = await this.job(scan, controller.signal);
      outcome = { status: ScanStatus.Complete, result: result ?? null };
    } catch (error) {
      if (error instanceof StopRun) outcome = error;
      else if (controller.signal.reason instanceof StopRun)
        outcome = controller.signal.reason;
      else if (error instanceof ScanJobError) {
        // S-16: a passing failure is retried after a back-off while attempts are left.
        const retry =
          error.retryable && scan.runAttempt < this.config.MAX_ATTEMPTS;
        outcome = {
          status: ScanStatus.Failed,
          error: error.message,
          result: error.result,
          errorClass: error.retryable ? 'transient' : 'permanent',
          ...(retry
            ? {
                retryAt: new Date(
                  Date.now() +
                    retryDelayMs(scan.runAttempt, {
                      baseMs: this.config.RETRY_BASE_MS,
                      maxMs: this.config.RETRY_MAX_MS,
                    }),
                ),
              }
            : {}),
        };
      } else
        outcome = {
          status: ScanStatus.Failed,
          error: `scan job error: ${String(error)}`,
          errorClass: 'permanent',
        };
    }
    await renewer.stop();
    const seconds = (Date.now() - startedAt) / 1_000;
    await this.outcomes.record(run, outcome, seconds);
  }
}
