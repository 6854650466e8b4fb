import { GATEWAY_DECISIONS } from './gateway-decision';
import { problemType } from './problem-details';
import { SCAN_STATUSES, ScanStatus } from './scan-status';

describe('contracts', () => {
  it('builds problem type URIs under one base', () => {
    expect(problemType('malicious-payload')).toBe(
      'https://gatehouse.dev/problems/malicious-payload',
    );
  });

  it('lists every scan status and gateway decision once', () => {
    expect(SCAN_STATUSES).toEqual([
      ScanStatus.Accepted,
      ScanStatus.Running,
      ScanStatus.Complete,
      ScanStatus.Failed,
      ScanStatus.Cancelled,
    ]);
    expect(new Set(GATEWAY_DECISIONS).size).toBe(5);
  });
});
