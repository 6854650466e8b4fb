import { register } from 'prom-client';
import { ScanWorkerMetrics } from './scan-worker.metrics';

describe('ScanWorkerMetrics', () => {
  afterEach(() => register.clear());

  // Dashboards and alerts query these names.
  it('registers the worker metrics under their published names', async () => {
    new ScanWorkerMetrics();
    const names = (await register.getMetricsAsJSON()).map(
      (metric) => metric.name,
    );
    expect(names).toEqual([
      'scans_claimed_total',
      'scans_finished_total',
      'scans_lease_lost_total',
      'scans_released_total',
      'scans_retried_total',
      'scans_exhausted_total',
      'scans_in_flight',
      'scan_run_duration_seconds',
    ]);
  });
});
