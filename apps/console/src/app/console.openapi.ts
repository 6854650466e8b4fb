import type { SchemaObject } from '@nestjs/swagger';

const count = { type: 'integer', minimum: 0 } as const;
const nullableString = { type: 'string', nullable: true } as const;
const nullableDateTime = {
  type: 'string',
  format: 'date-time',
  nullable: true,
} as const;
const upDown: SchemaObject = { type: 'string', enum: ['up', 'down'] };

// O-2: the console API's JSON shapes. Scan shapes are read defensively: the console passes
// on what status answers, so only the fields the page relies on are required.
export const CONSOLE_SCHEMAS: Record<string, SchemaObject> = {
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
      store: { type: 'string' },
      requests: { type: 'object', additionalProperties: count },
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
  PathPage: {
    type: 'object',
    required: ['total', 'paths'],
    properties: {
      total: count,
      paths: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path', 'count'],
          properties: { path: { type: 'string' }, count },
        },
      },
    },
  },
  ScanSummary: {
    type: 'object',
    required: ['total'],
    properties: { total: count },
    additionalProperties: count,
  },
  Scan: {
    type: 'object',
    required: ['scanId', 'status'],
    properties: {
      scanId: { type: 'string' },
      status: { type: 'string' },
      target: nullableString,
      attempts: count,
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      startedAt: nullableDateTime,
      finishedAt: nullableDateTime,
      error: nullableString,
      workerId: nullableString,
      leaseUntil: nullableDateTime,
    },
  },
  ScanList: {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: { $ref: '#/components/schemas/Scan' } },
      nextCursor: nullableString,
    },
  },
  ScanAttempt: {
    type: 'object',
    required: ['kind', 'attempt', 'workerId', 'at'],
    properties: {
      seq: count,
      kind: { type: 'string', enum: ['claim', 'end'] },
      attempt: count,
      workerId: { type: 'string' },
      at: { type: 'string', format: 'date-time' },
      leaseUntil: nullableDateTime,
      released: { type: 'boolean' },
      status: nullableString,
      error: nullableString,
    },
  },
  ScanDetail: {
    type: 'object',
    required: ['scan', 'attempts'],
    properties: {
      scan: { $ref: '#/components/schemas/Scan' },
      attempts: {
        type: 'array',
        nullable: true,
        items: { $ref: '#/components/schemas/ScanAttempt' },
      },
    },
  },
  CreateScanRequest: {
    type: 'object',
    properties: { target: { type: 'string', minLength: 1, maxLength: 2048 } },
  },
  ScanAccepted: {
    type: 'object',
    required: ['scanId', 'status'],
    properties: {
      scanId: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: ['Accepted'] },
    },
  },
};
