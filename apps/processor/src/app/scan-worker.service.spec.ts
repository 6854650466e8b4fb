import type {
  ClaimedScan,
  ClaimBatch,
  ClaimOptions,
  ScanClaimRepository,
} from '@gatehouse/scans/data-access';
import type { PinoLogger } from '@gatehouse/shared/logging';
import { register } from 'prom-client';
import type { ProcessorConfig } from './processor.config';
import { ScanJob, ScanJobError } from './scan-job';
import { ScanWorkerMetrics } from './scan-worker.metrics';
import { ScanWorkerService } from './scan-worker.service';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits for an outcome rather than a fixed time: timers run late on a loaded machine.
async function until(
  condition: () => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

function config(overrides: Partial<ProcessorConfig> = {}): ProcessorConfig {
  return {
    PORT: 0,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    MONGODB_URI: 'mongodb://x',
    MONGODB_WRITE_CONCERN: 'majority',
    CONCURRENCY: 2,
    FAILURE_RATE: 0,
    MIN_WORK_MS: 0,
    MAX_WORK_MS: 0,
    LEASE_MS: 300,
    MAX_ATTEMPTS: 3,
    SHUTDOWN_GRACE_MS: 500,
    POLL_MIN_MS: 5,
    POLL_MAX_MS: 20,
    RETRY_BASE_MS: 10,
    RETRY_MAX_MS: 50,
    SCAN_ALLOW: [],
    SCAN_DENY: [],
    SCAN_RESOLVE: new Map(),
    SCAN_TIMEOUT_MS: 1_000,
    SCAN_MAX_REDIRECTS: 5,
    SCAN_MAX_BODY_BYTES: 1_024,
    WEBHOOK_SECRET: undefined,
    WEBHOOK_MAX_ATTEMPTS: 3,
    WEBHOOK_TIMEOUT_MS: 1_000,
    WEBHOOK_RETRY_BASE_MS: 10,
    WEBHOOK_RETRY_MAX_MS: 50,
    ...overrides,
  };
}

function claim(scanId: string): ClaimedScan {
  return {
    scanId,
    attempt: 1,
    seq: 1,
    runAttempt: 1,
    kind: 'simulated',
    target: null,
    leaseUntil: new Date(Date.now() + 300),
    reclaimed: false,
  };
}

type FakeRepository = Record<
  'prepare' | 'claimBatch' | 'renewLease' | 'complete' | 'fail' | 'release',
  jest.Mock
>;

function fakeRepository(
  queue: ClaimedScan[],
  overrides: Partial<FakeRepository> = {},
) {
  const calls = {
    complete: [] as string[],
    fail: [] as string[],
    release: [] as string[],
    renew: 0,
  };
  let renewResult:
    | { leaseUntil: Date; cancelRequested: boolean }
    | null
    | undefined;
  const summary = { Accepted: 0, Running: 0, Complete: 0, Failed: 0, total: 0 };
  const repository = {
    prepare: jest.fn(async () => 0),
    repairSummary: jest.fn(async () => ({ before: summary, after: summary })),
    claimBatch: jest.fn(
      async (
        _workerId: string,
        options: ClaimOptions,
      ): Promise<ClaimBatch> => ({
        claimed: queue.splice(0, options.max ?? 1),
        exhausted: [],
      }),
    ),
    renewLease: jest.fn(async () => {
      calls.renew++;
      return renewResult === undefined
        ? { leaseUntil: new Date(Date.now() + 300), cancelRequested: false }
        : renewResult;
    }),
    complete: jest.fn(
      async (scanId: string) => (calls.complete.push(scanId), true),
    ),
    fail: jest.fn(async (scanId: string) => (calls.fail.push(scanId), true)),
    release: jest.fn(
      async (scanId: string) => (calls.release.push(scanId), true),
    ),
    ...overrides,
  };
  return {
    repository: repository as unknown as ScanClaimRepository,
    calls,
    loseLease: () => (renewResult = null),
  };
}

const logger = {
  info: jest.fn(),
  debug: jest.fn(),
  warn: jest.fn(),
  error: jest.fn(),
} as unknown as PinoLogger;

function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown> = {}) =>
      lines.push({ level, fields });
  return {
    logger: {
      info: jest.fn(at('info')),
      debug: jest.fn(at('debug')),
      warn: jest.fn(at('warn')),
      error: jest.fn(at('error')),
    } as unknown as PinoLogger,
    events: (event: string) =>
      lines.filter((line) => line.fields['event'] === event),
  };
}

// A job that runs until it is aborted, and records why.
function untilAborted() {
  const reasons: unknown[] = [];
  const job: ScanJob = (_scan, signal) =>
    new Promise((_resolve, reject) =>
      signal.addEventListener('abort', () => {
        reasons.push(signal.reason);
        reject(signal.reason);
      }),
    );
  return { job: jest.fn(job), reasons };
}

describe('ScanWorkerService', () => {
  afterEach(() => register.clear());

  it('S-4: claims, runs and completes; a failing job fails the scan with its reason', async () => {
    const { repository, calls } = fakeRepository([claim('a'), claim('b')]);
    let n = 0;
    const job: ScanJob = async () => {
      if (n++ === 1) throw new Error('boom');
    };
    const worker = new ScanWorkerService(
      repository,
      config(),
      job,
      logger,
      new ScanWorkerMetrics(),
    );
    worker.onApplicationBootstrap();
    await until(() => calls.complete.length + calls.fail.length === 2);
    await worker.beforeApplicationShutdown();
    expect(calls.complete).toEqual(['a']);
    expect(calls.fail).toEqual(['b']);
    expect(repository.fail).toHaveBeenCalledWith(
      'b',
      1,
      worker.workerId,
      expect.stringContaining('boom'),
      null,
      'permanent',
    );
  });

  it('S-16: a retryable failure is queued again with a back-off while attempts are left, then fails', async () => {
    const { repository, calls } = fakeRepository([claim('r')]);
    const job: ScanJob = async () => {
      throw new ScanJobError('connection reset', { retryable: true });
    };
    const worker = new ScanWorkerService(
      repository,
      config({ MAX_ATTEMPTS: 2 }),
      job,
      logger,
      new ScanWorkerMetrics(),
    );
    worker.onApplicationBootstrap();
    await until(() => calls.release.length === 1);
    await worker.beforeApplicationShutdown();
    register.clear();
    const [, attempt, , retry] = (repository.release as jest.Mock).mock
      .calls[0] as [
      string,
      number,
      string,
      { nextAttemptAt: Date; error: string },
    ];
    expect(attempt).toBe(1);
    expect(retry.error).toBe('connection reset');
    expect(retry.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now() + 10);
    expect(calls.fail).toEqual([]);

    // On the last attempt allowed, the same failure is final, with its class.
    const last = fakeRepository([
      { ...claim('s'), attempt: 2, seq: 2, runAttempt: 2 },
    ]);
    const final = new ScanWorkerService(
      last.repository,
      config({ MAX_ATTEMPTS: 2 }),
      job,
      logger,
      new ScanWorkerMetrics(),
    );
    final.onApplicationBootstrap();
    await until(() => last.calls.fail.length === 1);
    await final.beforeApplicationShutdown();
    expect(last.repository.fail).toHaveBeenCalledWith(
      's',
      2,
      final.workerId,
      'connection reset',
      null,
      'transient',
    );
  });

  it('S-3: keeps retrying the open-work preparation with back-off while the database is down, then polls', async () => {
    const prepare = jest
      .fn()
      .mockRejectedValueOnce(new Error('down'))
      .mockRejectedValueOnce(new Error('down'))
      .mockResolvedValue(0);
    const { repository, calls } = fakeRepository([claim('a')], { prepare });
    const worker = new ScanWorkerService(
      repository,
      config(),
      async () => undefined,
      logger,
      new ScanWorkerMetrics(),
    );
    worker.onApplicationBootstrap();
    await until(() => calls.complete.length === 1);
    await worker.beforeApplicationShutdown();
    expect(prepare).toHaveBeenCalledTimes(3);
    expect(calls.complete).toEqual(['a']);
  });

  it('S-7: never runs more than CONCURRENCY scans at once', async () => {
    const { repository } = fakeRepository(['a', 'b', 'c', 'd', 'e'].map(claim));
    let running = 0;
    let peak = 0;
    const job: ScanJob = async () => {
      peak = Math.max(peak, ++running);
      await sleep(30);
      running--;
    };
    const worker = new ScanWorkerService(
      repository,
      config({ CONCURRENCY: 2 }),
      job,
      logger,
      new ScanWorkerMetrics(),
    );
    worker.onApplicationBootstrap();
    await until(
      () => (repository.complete as jest.Mock).mock.calls.length === 5,
    );
    await worker.beforeApplicationShutdown();
    expect(peak).toBe(2);
    expect(repository.complete).toHaveBeenCalledTimes(5);
  });

  it('S-6: stops and writes nothing when the lease is lost', async () => {
    const { repository, calls, loseLease } = fakeRepository([claim('a')]);
    const job: ScanJob = (_scan, signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason)),
      );
    const worker = new ScanWorkerService(
      repository,
      config({ LEASE_MS: 150 }),
      job,
      logger,
      new ScanWorkerMetrics(),
    );
    loseLease();
    worker.onApplicationBootstrap();
    await until(() => calls.renew > 0);
    await sleep(20);
    await worker.beforeApplicationShutdown();
    expect(calls.renew).toBeGreaterThan(0);
    expect(calls.complete).toEqual([]);
    expect(calls.release).toEqual([]);
  });

  it('S-8: on shutdown, stops claiming and releases what cannot finish in the grace period', async () => {
    const { repository, calls } = fakeRepository([claim('a')]);
    const job: ScanJob = (_scan, signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason)),
      );
    const worker = new ScanWorkerService(
      repository,
      config({ SHUTDOWN_GRACE_MS: 200, LEASE_MS: 10_000 }),
      job,
      logger,
      new ScanWorkerMetrics(),
    );
    worker.onApplicationBootstrap();
    await until(
      () => (repository.claimBatch as jest.Mock).mock.calls.length > 0,
    );
    const started = Date.now();
    await worker.beforeApplicationShutdown();
    expect(Date.now() - started).toBeLessThan(400);
    expect(calls.release).toEqual(['a']);
    const polls = (repository.claimBatch as jest.Mock).mock.calls.length;
    await sleep(60);
    expect((repository.claimBatch as jest.Mock).mock.calls.length).toBe(polls);
  });

  it('S-6: a renewal that returns after the previous lease expired aborts the run', async () => {
    // Each renewal is sent at a third of the lease and takes longer than the rest of it: it
    // returns a fresh date, but lands after the lease it was meant to extend had passed.
    const renewLease = jest.fn(async () => {
      await sleep(250);
      return { leaseUntil: new Date(Date.now() + 300), cancelRequested: false };
    });
    const { repository, calls } = fakeRepository([claim('a')], {
      renewLease,
    });
    const { job, reasons } = untilAborted();
    const { logger: log, events } = recordingLogger();
    const worker = new ScanWorkerService(
      repository,
      config({ LEASE_MS: 300, SHUTDOWN_GRACE_MS: 200 }),
      job,
      log,
      new ScanWorkerMetrics(),
    );
    worker.onApplicationBootstrap();
    await until(() => reasons.length > 0);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({ reason: 'lease-lost' });
    await worker.beforeApplicationShutdown();
    expect(renewLease).toHaveBeenCalledTimes(1);
    expect(calls.complete).toEqual([]);
    expect(calls.release).toEqual([]);
    expect(events('scan.lease-lost')).toEqual([
      {
        level: 'warn',
        fields: expect.objectContaining({
          scanId: 'a',
          attempt: 1,
          workerId: worker.workerId,
          cause: expect.stringContaining('after the previous lease'),
        }),
      },
    ]);
  });

  it('S-8: a claim won by a poll still in flight at shutdown is released, not run', async () => {
    let resolveClaim: (result: ClaimBatch) => void = () => undefined;
    const claimBatch = jest.fn(
      () =>
        new Promise<ClaimBatch>((resolve) => {
          resolveClaim = resolve;
        }),
    );
    const { repository, calls } = fakeRepository([], { claimBatch });
    const job = jest.fn(async () => undefined);
    const { logger: log, events } = recordingLogger();
    const worker = new ScanWorkerService(
      repository,
      config(),
      job,
      log,
      new ScanWorkerMetrics(),
    );
    worker.onApplicationBootstrap();
    await sleep(10);
    expect(claimBatch).toHaveBeenCalledTimes(1);
    const stopped = worker.beforeApplicationShutdown();
    await sleep(10);
    resolveClaim({ claimed: [claim('late')], exhausted: [] });
    await stopped;
    expect(job).not.toHaveBeenCalled();
    expect(calls.complete).toEqual([]);
    expect(calls.release).toEqual(['late']);
    expect(claimBatch).toHaveBeenCalledTimes(1);
    expect(events('scan.released')).toEqual([
      {
        level: 'info',
        fields: expect.objectContaining({
          scanId: 'late',
          attempt: 1,
          workerId: worker.workerId,
          released: true,
        }),
      },
    ]);
  });

  it('S-8: a drain whose complete() keeps failing gives up by the shutdown deadline', async () => {
    const complete = jest.fn(async () => {
      throw new Error('database away');
    });
    const { repository } = fakeRepository([claim('a')], { complete });
    const job: ScanJob = async () => {
      await sleep(50);
    };
    const { logger: log, events } = recordingLogger();
    const worker = new ScanWorkerService(
      repository,
      // The lease alone would keep the retries going for 10 s.
      config({ SHUTDOWN_GRACE_MS: 500, LEASE_MS: 10_000 }),
      job,
      log,
      new ScanWorkerMetrics(),
    );
    worker.onApplicationBootstrap();
    await sleep(20);
    const started = Date.now();
    await worker.beforeApplicationShutdown();
    // Ends at the grace (plus slack for a loaded machine), not at the 10 s lease.
    expect(Date.now() - started).toBeLessThan(500 + 250);
    expect(complete.mock.calls.length).toBeGreaterThan(1);
    expect(events('scan.complete')).toEqual([]);
    expect(events('scan.unrecorded')).toEqual([
      {
        level: 'warn',
        fields: expect.objectContaining({
          scanId: 'a',
          attempt: 1,
          workerId: worker.workerId,
        }),
      },
    ]);
  });

  it('S-8: a drain whose release() never settles still ends within the grace period', async () => {
    const release = jest.fn(() => new Promise<boolean>(() => undefined));
    const { repository } = fakeRepository([claim('a')], { release });
    const { job } = untilAborted();
    const worker = new ScanWorkerService(
      repository,
      config({ SHUTDOWN_GRACE_MS: 300, LEASE_MS: 10_000 }),
      job,
      logger,
      new ScanWorkerMetrics(),
    );
    worker.onApplicationBootstrap();
    await sleep(20);
    const started = Date.now();
    await worker.beforeApplicationShutdown();
    // Ends at the grace (plus slack for a loaded machine), not never.
    expect(Date.now() - started).toBeLessThan(300 + 250);
    expect(release).toHaveBeenCalledTimes(1);
  });
});
