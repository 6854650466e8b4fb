import { ClaimedScan } from '@gatehouse/scans/data-access';
import { PinoLogger } from '@gatehouse/shared/logging';
import { TIMED_OUT, untilDeadline } from './until-deadline';

// What a write needs to know about the attempt it writes for.
export interface Attempt {
  scan: ClaimedScan;
  leaseUntil: Date;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

// Writes are retried while the database is briefly away, but never past the lease: after
// that the fence decides, and it will refuse a stale write anyway. Once stopping, never past
// the shutdown deadline either (S-8): the write is given up, the lease expires and another
// worker reclaims the scan, so nothing is lost.
export class BoundedRetry {
  constructor(
    private readonly workerId: string,
    private readonly logger: PinoLogger,
    // Read on every try: it is infinite until the drain begins.
    private readonly shutdownDeadline: () => number,
  ) {}

  // Null means it gave up (nothing known to be written); false means the repository refused
  // the write.
  async write(
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
        const result = await untilDeadline(write(), this.shutdownDeadline());
        if (result !== TIMED_OUT) return result;
        failure = new Error('write still pending at the shutdown deadline');
      } catch (error) {
        failure = error;
      }
      const now = Date.now();
      if (now + delay >= this.shutdownDeadline()) {
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
