export enum ScanStatus {
  Accepted = 'Accepted',
  Running = 'Running',
  Complete = 'Complete',
  Failed = 'Failed',
  // S-17: stopped by an operator; final, like Complete and Failed.
  Cancelled = 'Cancelled',
}

// The final states: a scan in one of them changes again only by a retry (S-17).
export const FINAL_SCAN_STATUSES: readonly ScanStatus[] = [
  ScanStatus.Complete,
  ScanStatus.Failed,
  ScanStatus.Cancelled,
];

// The state name that clients of the reference system expect on an unknown scan id.
export const SCAN_NOT_FOUND_STATUS = 'Not-Found';

export const SCAN_STATUSES: readonly ScanStatus[] = Object.values(ScanStatus);
