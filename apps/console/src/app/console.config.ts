import {
  ConfigOf,
  int,
  serverSchema,
  str,
  url,
} from '@gatehouse/shared/config';

export const consoleConfigSchema = {
  ...serverSchema(3004),
  GATEWAY_URL: url('Base URL of the gateway (its admin API is read)', {
    default: 'http://127.0.0.1:8080',
  }),
  INGEST_URL: url('Base URL of ingest (scans are queued there)', {
    default: 'http://127.0.0.1:3001',
  }),
  STATUS_URL: url('Base URL of status (scans are read there)', {
    default: 'http://127.0.0.1:3002',
  }),
  GATEWAY_ADMIN_PREFIX: str("The gateway's admin prefix (its ADMIN_PREFIX)", {
    default: '/_gateway',
    pattern: /^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/,
  }),
  CALL_TIMEOUT_MS: int('Bound on each call the console makes to an app', {
    default: 3000,
    min: 100,
    max: 60_000,
  }),
  CALL_MAX_BYTES: int(
    'Bound on the size of each answer the console reads from an app; a larger one is a 502',
    { default: 1_048_576, min: 1_024, max: 67_108_864 },
  ),
};

export type ConsoleConfig = ConfigOf<typeof consoleConfigSchema>;

export const CONSOLE_CONFIG = Symbol('CONSOLE_CONFIG');
