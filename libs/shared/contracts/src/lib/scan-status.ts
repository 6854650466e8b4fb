export enum ScanStatus {
  Accepted = 'Accepted',
  Running = 'Running',
  Complete = 'Complete',
  Failed = 'Failed',
}

// The state name that clients of the reference system expect on an unknown scan id.
export const SCAN_NOT_FOUND_STATUS = 'Not-Found';

export const SCAN_STATUSES: readonly ScanStatus[] = Object.values(ScanStatus);
