import {
  GATEWAY_STATUS_SCHEMA,
  PATH_PAGE_SCHEMA,
} from '@gatehouse/shared/contracts';
import type { ComponentSchema } from '@gatehouse/shared/http';

// O-2: the admin API's JSON shapes, referenced as #/components/schemas/<name>.
export const GATEWAY_ADMIN_SCHEMAS: Record<string, ComponentSchema> = {
  GatewayStatus: GATEWAY_STATUS_SCHEMA,
  PathPage: PATH_PAGE_SCHEMA,
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
