import { GATEWAY_DECISIONS } from './gateway-decision';
import { COUNT_SCHEMA, countsSchema, FromSchema } from './json-schema';

// The gateway admin API's JSON shapes (G-10, G-11), which the console passes on.

// G-10: one page of request counts by URL path, most first.
export const PATH_PAGE_SCHEMA = {
  type: 'object',
  required: ['total', 'paths'],
  properties: {
    total: COUNT_SCHEMA,
    paths: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'count'],
        properties: { path: { type: 'string' }, count: COUNT_SCHEMA },
      },
    },
  },
} as const;

export type PathPage = FromSchema<typeof PATH_PAGE_SCHEMA>;

export const GATEWAY_STORES = ['memory', 'redis'] as const;

// G-11: uptime of one replica, and request counts by decision across the shared store.
export const GATEWAY_STATUS_SCHEMA = {
  type: 'object',
  required: ['uptimeSeconds', 'store', 'requests'],
  properties: {
    uptimeSeconds: COUNT_SCHEMA,
    store: { type: 'string', enum: GATEWAY_STORES },
    requests: countsSchema(['processed', ...GATEWAY_DECISIONS]),
  },
} as const;

export type GatewayStatus = FromSchema<typeof GATEWAY_STATUS_SCHEMA>;
