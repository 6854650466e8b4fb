import { ScanScope, systemResolver } from '@gatehouse/scans/target-scope';
import type { ProcessorConfig } from '../processor.config';
import type { ScanJobs } from '../scan-job';
import { httpScanJob } from './http/http-scan.job';
import { simulatedScanJob } from './simulated.job';

// S-4: the job of each scan kind. A new kind is its job's file plus one line here.
export function createScanJobs(config: ProcessorConfig): ScanJobs {
  return {
    simulated: simulatedScanJob({
      minWorkMs: config.MIN_WORK_MS,
      maxWorkMs: config.MAX_WORK_MS,
      failureRate: config.FAILURE_RATE,
    }),
    http: httpScanJob({
      scope: ScanScope.fromLists(config.SCAN_ALLOW, config.SCAN_DENY),
      resolve: systemResolver(config.SCAN_RESOLVE),
      timeoutMs: config.SCAN_TIMEOUT_MS,
      maxRedirects: config.SCAN_MAX_REDIRECTS,
      maxBodyBytes: config.SCAN_MAX_BODY_BYTES,
    }),
  };
}
