import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';

// The metrics live in prom-client's default registry, which /metrics serves; a second instance
// would clash on the names, so Nest holds the only one.
@Injectable()
export class ScanWorkerMetrics {
  readonly claimed = new Counter({
    name: 'scans_claimed_total',
    help: 'Claims won',
    labelNames: ['reclaimed'] as const,
  });
  readonly finished = new Counter({
    name: 'scans_finished_total',
    help: 'Attempts finished',
    labelNames: ['status'] as const,
  });
  readonly lost = new Counter({
    name: 'scans_lease_lost_total',
    help: 'Attempts abandoned because another worker took over',
  });
  readonly released = new Counter({
    name: 'scans_released_total',
    help: 'Attempts given back at shutdown',
  });
  readonly retried = new Counter({
    name: 'scans_retried_total',
    help: 'Attempts that failed for a passing reason and were queued again (S-16)',
  });
  readonly exhausted = new Counter({
    name: 'scans_exhausted_total',
    help: 'Scans Failed after MAX_ATTEMPTS expired leases',
  });
  readonly inFlight = new Gauge({
    name: 'scans_in_flight',
    help: 'Scans this worker is running',
  });
  readonly duration = new Histogram({
    name: 'scan_run_duration_seconds',
    help: 'Time from claim to the end of an attempt',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
  });
}
