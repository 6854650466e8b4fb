import type {
  CreateScanRequest,
  GatewayStatus,
  PathPage,
  ProblemDetails,
  ScanAcceptedResponse,
  ScanAttemptListResponse,
  ScanListResponse,
  ScanSummaryResponse,
  ScanKind,
  ScanResult,
  ScanView,
} from '../index';
import { GATEWAY_STATUS_SCHEMA } from './gateway-stats';
import { SCAN_STATUSES, ScanStatus } from './scan-status';
import { SCAN_SUMMARY_SCHEMA, SCAN_VIEW_SCHEMA } from './scan.dto';

// Exactly the same type, not merely assignable one way.
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2
    ? true
    : false;
function same<A, B>(check: Equal<A, B>): void {
  expect(check).toBe(true);
}

describe('types derived from the schemas', () => {
  it('reads required, optional, nullable, enums, arrays and extensions', () => {
    same<
      ScanView,
      {
        scanId: string;
        status: ScanStatus;
        kind: ScanKind;
        target?: string | null;
        attempts: number;
        createdAt: string;
        updatedAt: string;
        startedAt?: string | null;
        finishedAt?: string | null;
        error?: string | null;
        workerId?: string | null;
        leaseUntil?: string | null;
        nextAttemptAt?: string | null;
        cancelRequestedAt?: string | null;
        result?: ScanResult | null;
        callbackUrl?: string | null;
      }
    >(true);
    same<ScanListResponse, { items: ScanView[]; nextCursor: string | null }>(
      true,
    );
    same<ScanSummaryResponse, Record<ScanStatus | 'total', number>>(true);
    same<ScanAcceptedResponse, { scanId: string; status: ScanStatus.Accepted }>(
      true,
    );
    same<
      CreateScanRequest,
      { target?: string; kind?: ScanKind; callbackUrl?: string }
    >(true);
    same<
      ScanAttemptListResponse['items'][number]['kind'],
      'claim' | 'end' | 'cancel' | 'retry' | 'delivery'
    >(true);
    same<PathPage, { total: number; paths: { path: string; count: number }[] }>(
      true,
    );
    same<GatewayStatus['store'], 'memory' | 'redis'>(true);
    same<ProblemDetails['status'], number | string>(true);
    same<ProblemDetails['extra'], unknown>(true);
  });

  it('lists every count a summary and a status answer carry', () => {
    expect(SCAN_SUMMARY_SCHEMA.required).toEqual([...SCAN_STATUSES, 'total']);
    expect(
      Object.keys(GATEWAY_STATUS_SCHEMA.properties.requests.properties),
    ).toEqual([
      'processed',
      'forwarded',
      'blocked',
      'delayed',
      'rejected',
      'failed',
    ]);
    expect(SCAN_VIEW_SCHEMA.properties.status.enum).toBe(SCAN_STATUSES);
  });
});
