import {
  COUNT_SCHEMA as count,
  CREATE_SCAN_REQUEST_SCHEMA,
  GATEWAY_STATUS_SCHEMA,
  PATH_PAGE_SCHEMA,
  SCAN_ACCEPTED_SCHEMA,
  SCAN_ATTEMPT_SCHEMA,
  SCAN_LIST_SCHEMA,
  SCAN_SUMMARY_SCHEMA,
  SCAN_VIEW_SCHEMA,
} from '@gatehouse/shared/contracts';
import type { ComponentSchema } from '@gatehouse/shared/http';

const upDown = { type: 'string', enum: ['up', 'down'] } as const;

// O-2: the console API's JSON shapes. What the console passes on from status, ingest and the
// gateway has the shape those apps document: the same definitions, from the contracts.
export const CONSOLE_SCHEMAS: Record<string, ComponentSchema> = {
  Liveness: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['ok'] } },
  },
  AppsHealth: {
    type: 'object',
    required: ['gateway', 'ingest', 'status'],
    properties: { gateway: upDown, ingest: upDown, status: upDown },
  },
  GatewayOverview: {
    type: 'object',
    required: ['uptimeSeconds', 'store', 'requests', 'readiness', 'latency'],
    properties: {
      uptimeSeconds: count,
      store: GATEWAY_STATUS_SCHEMA.properties.store,
      requests: GATEWAY_STATUS_SCHEMA.properties.requests,
      readiness: {
        type: 'object',
        required: ['ready', 'checks'],
        properties: {
          ready: { type: 'boolean' },
          checks: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      latency: {
        type: 'object',
        nullable: true,
        required: ['histogram', 'p50Ms', 'p99Ms'],
        properties: {
          histogram: {
            type: 'object',
            required: ['buckets', 'count', 'sum'],
            properties: {
              // [upper bound in seconds (null is +Inf), cumulative count]
              buckets: {
                type: 'array',
                items: {
                  type: 'array',
                  minItems: 2,
                  maxItems: 2,
                  items: { type: 'number', nullable: true },
                },
              },
              count,
              sum: { type: 'number' },
            },
          },
          p50Ms: { type: 'number', nullable: true },
          p99Ms: { type: 'number', nullable: true },
        },
      },
    },
  },
  PathPage: PATH_PAGE_SCHEMA,
  ScanSummary: SCAN_SUMMARY_SCHEMA,
  ScanView: SCAN_VIEW_SCHEMA,
  ScanList: SCAN_LIST_SCHEMA,
  ScanAttempt: SCAN_ATTEMPT_SCHEMA,
  ScanDetail: {
    type: 'object',
    required: ['scan', 'attempts'],
    properties: {
      scan: SCAN_VIEW_SCHEMA,
      attempts: { type: 'array', nullable: true, items: SCAN_ATTEMPT_SCHEMA },
    },
  },
  CreateScanRequest: CREATE_SCAN_REQUEST_SCHEMA,
  ScanAccepted: SCAN_ACCEPTED_SCHEMA,
};
