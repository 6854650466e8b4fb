import type { SchemaObject } from '@nestjs/swagger';
import { SCAN_STATUSES } from '@gatehouse/shared/contracts';

const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { ...dateTime, nullable: true };
const nullableString = { type: 'string', nullable: true } as const;

// O-2: the status API's JSON shapes, referenced as #/components/schemas/<name>.
export const STATUS_SCHEMAS: Record<string, SchemaObject> = {
  ScanView: {
    type: 'object',
    required: ['scanId', 'status', 'attempts', 'createdAt', 'updatedAt'],
    properties: {
      scanId: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: [...SCAN_STATUSES] },
      target: nullableString,
      attempts: { type: 'integer', minimum: 0 },
      createdAt: dateTime,
      updatedAt: dateTime,
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
      items: {
        type: 'array',
        items: { $ref: '#/components/schemas/ScanView' },
      },
      nextCursor: nullableString,
    },
  },
  ScanSummary: {
    type: 'object',
    required: [...SCAN_STATUSES, 'total'],
    properties: Object.fromEntries(
      [...SCAN_STATUSES, 'total'].map((name) => [
        name,
        { type: 'integer', minimum: 0 },
      ]),
    ),
  },
  ScanAttempt: {
    type: 'object',
    required: ['seq', 'kind', 'attempt', 'workerId', 'at'],
    properties: {
      seq: { type: 'integer', minimum: 0 },
      kind: { type: 'string', enum: ['claim', 'end'] },
      attempt: { type: 'integer', minimum: 0 },
      workerId: { type: 'string' },
      at: dateTime,
      leaseUntil: nullableDateTime,
      released: { type: 'boolean' },
      status: nullableString,
      error: nullableString,
    },
  },
  ScanAttemptList: {
    type: 'object',
    required: ['scanId', 'items'],
    properties: {
      scanId: { type: 'string', format: 'uuid' },
      items: {
        type: 'array',
        items: { $ref: '#/components/schemas/ScanAttempt' },
      },
    },
  },
};
