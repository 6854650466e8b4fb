import { ScanStatus } from './scan-status';

export interface CreateScanRequest {
  target?: string;
}

export interface ScanAcceptedResponse {
  scanId: string;
  status: ScanStatus.Accepted;
}

export interface ScanView {
  scanId: string;
  status: ScanStatus;
  target: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  workerId: string | null;
  leaseUntil: string | null;
}

export interface ScanListResponse {
  items: ScanView[];
  nextCursor: string | null;
}

export type ScanSummaryResponse = Record<ScanStatus, number> & {
  total: number;
};
