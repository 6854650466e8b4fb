import {
  SCAN_ATTEMPT_LIST_SCHEMA,
  SCAN_ATTEMPT_SCHEMA,
  SCAN_LIST_SCHEMA,
  SCAN_SUMMARY_REPAIR_SCHEMA,
  SCAN_SUMMARY_SCHEMA,
  SCAN_VIEW_SCHEMA,
} from '@gatehouse/shared/contracts';
import type { ComponentSchema } from '@gatehouse/shared/http';

// O-2: the status API's JSON shapes, referenced as #/components/schemas/<name>.
export const STATUS_SCHEMAS: Record<string, ComponentSchema> = {
  ScanView: SCAN_VIEW_SCHEMA,
  ScanList: SCAN_LIST_SCHEMA,
  ScanSummary: SCAN_SUMMARY_SCHEMA,
  ScanSummaryRepair: SCAN_SUMMARY_REPAIR_SCHEMA,
  ScanAttempt: SCAN_ATTEMPT_SCHEMA,
  ScanAttemptList: SCAN_ATTEMPT_LIST_SCHEMA,
};
