import { COUNT_SCHEMA, countsSchema, FromSchema } from './json-schema';
import { SCAN_KINDS, SCAN_RESULT_SCHEMA } from './scan-result';
import { SCAN_STATUSES, ScanStatus } from './scan-status';

// The scans' JSON shapes (S-1, S-10, S-11, O-1), as ingest, status and the console answer them.

const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { ...dateTime, nullable: true } as const;
const nullableString = { type: 'string', nullable: true } as const;
const scanId = { type: 'string', format: 'uuid' } as const;

export const CREATE_SCAN_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    target: {
      type: 'string',
      minLength: 1,
      maxLength: 2048,
      description:
        'A host name (Unicode or ASCII), an IP, either with a port or a path, or an http(s) URL',
    },
    kind: {
      type: 'string',
      enum: SCAN_KINDS,
      description:
        'The job to run: simulated (the default unless DEFAULT_SCAN_KIND says otherwise) or http',
    },
    callbackUrl: {
      type: 'string',
      minLength: 1,
      maxLength: 2048,
      description:
        'S-19: an http(s) URL that receives the scan, signed (Standard Webhooks), once it is Complete, Failed or Cancelled; held to the scan scope (S-15)',
    },
  },
} as const;

export type CreateScanRequest = FromSchema<typeof CREATE_SCAN_REQUEST_SCHEMA>;

export const SCAN_ACCEPTED_SCHEMA = {
  type: 'object',
  required: ['scanId', 'status'],
  properties: {
    scanId,
    status: { type: 'string', enum: [ScanStatus.Accepted] },
  },
} as const;

export type ScanAcceptedResponse = FromSchema<typeof SCAN_ACCEPTED_SCHEMA>;

export const SCAN_VIEW_SCHEMA = {
  type: 'object',
  required: ['scanId', 'status', 'kind', 'attempts', 'createdAt', 'updatedAt'],
  properties: {
    scanId,
    status: { type: 'string', enum: SCAN_STATUSES },
    kind: { type: 'string', enum: SCAN_KINDS },
    target: nullableString,
    attempts: COUNT_SCHEMA,
    createdAt: dateTime,
    updatedAt: dateTime,
    startedAt: nullableDateTime,
    finishedAt: nullableDateTime,
    error: nullableString,
    workerId: nullableString,
    leaseUntil: nullableDateTime,
    nextAttemptAt: nullableDateTime,
    cancelRequestedAt: {
      ...nullableDateTime,
      description:
        'S-17: when a cancel of this running scan was asked for; its worker stops it within one lease renewal',
    },
    result: SCAN_RESULT_SCHEMA,
    callbackUrl: {
      ...nullableString,
      description: 'S-19: where the scan is posted when it ends',
    },
  },
} as const;

export type ScanView = FromSchema<typeof SCAN_VIEW_SCHEMA>;

export const SCAN_LIST_SCHEMA = {
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: {
    items: { type: 'array', items: SCAN_VIEW_SCHEMA },
    nextCursor: nullableString,
  },
} as const;

export type ScanListResponse = FromSchema<typeof SCAN_LIST_SCHEMA>;

export const SCAN_SUMMARY_SCHEMA = countsSchema([...SCAN_STATUSES, 'total']);

export type ScanSummaryResponse = FromSchema<typeof SCAN_SUMMARY_SCHEMA>;

// S-11's repair: the counters before, and the recount that replaced them.
export const SCAN_SUMMARY_REPAIR_SCHEMA = {
  type: 'object',
  required: ['before', 'after'],
  properties: { before: SCAN_SUMMARY_SCHEMA, after: SCAN_SUMMARY_SCHEMA },
} as const;

export type ScanSummaryRepairResponse = FromSchema<
  typeof SCAN_SUMMARY_REPAIR_SCHEMA
>;

// One entry of a scan's attempt log (O-1): a claim by a worker, the end of an attempt, a
// cancel asked of a running attempt, a retry that queued a finished scan again (S-17), or one
// try at delivering the scan to its callbackUrl (S-19).
export const SCAN_ATTEMPT_SCHEMA = {
  type: 'object',
  required: ['seq', 'kind', 'attempt', 'workerId', 'at'],
  properties: {
    seq: COUNT_SCHEMA,
    kind: {
      type: 'string',
      enum: ['claim', 'end', 'cancel', 'retry', 'delivery'],
    },
    attempt: COUNT_SCHEMA,
    workerId: { type: 'string' },
    at: dateTime,
    leaseUntil: nullableDateTime,
    released: { type: 'boolean' },
    status: {
      ...nullableString,
      description:
        'Ends: Complete, Failed or Cancelled; deliveries (S-19): delivered or failed, null while the try is being made',
    },
    error: nullableString,
    errorClass: {
      type: 'string',
      nullable: true,
      description: 'transient (retried) or permanent (S-16)',
    },
    nextAttemptAt: nullableDateTime,
    httpStatus: {
      type: 'integer',
      nullable: true,
      description:
        'Deliveries only (S-19): the status the callback answered, null when it did not',
    },
  },
} as const;

export type ScanAttemptView = FromSchema<typeof SCAN_ATTEMPT_SCHEMA>;

export const SCAN_ATTEMPT_LIST_SCHEMA = {
  type: 'object',
  required: ['scanId', 'items'],
  properties: {
    scanId,
    items: { type: 'array', items: SCAN_ATTEMPT_SCHEMA },
  },
} as const;

export type ScanAttemptListResponse = FromSchema<
  typeof SCAN_ATTEMPT_LIST_SCHEMA
>;
