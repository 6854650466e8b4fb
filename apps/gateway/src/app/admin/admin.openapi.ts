import type { SchemaObject } from '@nestjs/swagger';
import { GATEWAY_DECISIONS } from '@gatehouse/shared/contracts';

const count = { type: 'integer', minimum: 0 } as const;

// O-2: the admin API's JSON shapes, referenced as #/components/schemas/<name>.
export const GATEWAY_ADMIN_SCHEMAS: Record<string, SchemaObject> = {
  GatewayStatus: {
    type: 'object',
    required: ['uptimeSeconds', 'store', 'requests'],
    properties: {
      uptimeSeconds: count,
      store: { type: 'string', enum: ['memory', 'redis'] },
      requests: {
        type: 'object',
        required: ['processed', ...GATEWAY_DECISIONS],
        properties: Object.fromEntries(
          ['processed', ...GATEWAY_DECISIONS].map((name) => [name, count]),
        ),
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
  LoadAccepted: {
    type: 'object',
    required: ['accepted'],
    properties: { accepted: { type: 'integer', minimum: 1 } },
  },
  Liveness: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['ok'] } },
  },
  Readiness: {
    type: 'object',
    required: ['status', 'checks'],
    properties: {
      status: { type: 'string', enum: ['ok'] },
      checks: {
        type: 'object',
        additionalProperties: { type: 'string', enum: ['up', 'down'] },
      },
    },
  },
};
