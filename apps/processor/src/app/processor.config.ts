import {
  ConfigError,
  ConfigOf,
  EnvVar,
  int,
  InvalidValue,
  num,
  serverSchema,
  str,
} from '@gatehouse/shared/config';
import { scanWriteConcern } from '@gatehouse/scans/data-access';
import {
  resolveOverridesVar,
  scanScopeSchema,
} from '@gatehouse/scans/target-scope';

const MIN_WEBHOOK_SECRET_BYTES = 24;

// S-19: a Standard Webhooks signing secret, `whsec_` and base64. Its value is never echoed.
function webhookSecret(description: string): EnvVar<string | undefined> {
  return {
    description,
    default: 'unset: deliveries fail with a clear error until it is set',
    accepts: `whsec_ and base64 of at least ${MIN_WEBHOOK_SECRET_BYTES} bytes`,
    parse(raw) {
      if (raw === undefined || raw.trim() === '') return undefined;
      const text = raw.trim();
      const base64 = text.startsWith('whsec_') ? text.slice(6) : '';
      if (
        !/^[A-Za-z0-9+/]+={0,2}$/.test(base64) ||
        Buffer.from(base64, 'base64').length < MIN_WEBHOOK_SECRET_BYTES
      )
        throw new InvalidValue(
          `must be whsec_ and base64 of at least ${MIN_WEBHOOK_SECRET_BYTES} bytes`,
        );
      return text;
    },
  };
}

export const processorConfigSchema = {
  ...serverSchema(3003),
  MONGODB_URI: str('MongoDB connection string', {
    pattern: /^mongodb(\+srv)?:\/\//,
  }),
  MONGODB_WRITE_CONCERN: scanWriteConcern(
    'Members that acknowledge a scan-store write: majority (default) or a number',
  ),
  CONCURRENCY: int('Scans one worker runs at once', {
    default: 4,
    min: 1,
    max: 256,
  }),
  FAILURE_RATE: num('Probability that a simulated scan fails', {
    default: 0.1,
    min: 0,
    max: 1,
  }),
  MIN_WORK_MS: int('Shortest simulated scan', { default: 1_000, min: 0 }),
  MAX_WORK_MS: int('Longest simulated scan', { default: 5_000, min: 0 }),
  LEASE_MS: int('How long a claim lasts without renewal', {
    default: 30_000,
    min: 100,
  }),
  MAX_ATTEMPTS: int(
    'Attempts before a scan is Failed: leases that expired, and transient failures (S-6, S-16)',
    { default: 3, min: 1, max: 100 },
  ),
  SHUTDOWN_GRACE_MS: int(
    'Time to finish or release in-flight scans after SIGTERM',
    { default: 10_000, min: 0 },
  ),
  POLL_MIN_MS: int('First idle back-off step', { default: 50, min: 1 }),
  POLL_MAX_MS: int('Longest idle back-off', { default: 1_000, min: 1 }),
  ...scanScopeSchema,
  SCAN_RESOLVE: resolveOverridesVar(
    'name=address answers an http scan uses instead of DNS, as curl --resolve does; still held to the scope',
  ),
  RETRY_BASE_MS: int(
    'First retry back-off after a transient failure; doubles per attempt, with full jitter',
    { default: 1_000, min: 0, max: 3_600_000 },
  ),
  RETRY_MAX_MS: int('Longest retry back-off', {
    default: 60_000,
    min: 0,
    max: 86_400_000,
  }),
  SCAN_TIMEOUT_MS: int(
    'Deadline of one http scan, all of its connections included',
    {
      default: 30_000,
      min: 100,
      max: 600_000,
    },
  ),
  SCAN_MAX_REDIRECTS: int('Redirects an http scan follows', {
    default: 5,
    min: 0,
    max: 20,
  }),
  SCAN_MAX_BODY_BYTES: int('Bytes of any response body an http scan reads', {
    default: 1_048_576,
    min: 0,
    max: 67_108_864,
  }),
  WEBHOOK_SECRET: webhookSecret(
    'Key that signs scan webhooks (S-19, Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature)',
  ),
  WEBHOOK_MAX_ATTEMPTS: int('Tries at delivering one scan webhook', {
    default: 5,
    min: 1,
    max: 100,
  }),
  WEBHOOK_TIMEOUT_MS: int(
    'Time a callback has to answer one delivery, connection included',
    { default: 5_000, min: 100, max: 120_000 },
  ),
  WEBHOOK_RETRY_BASE_MS: int(
    'First back-off after a failed delivery; doubles per try, with full jitter',
    { default: 1_000, min: 0, max: 3_600_000 },
  ),
  WEBHOOK_RETRY_MAX_MS: int('Longest back-off between deliveries', {
    default: 300_000,
    min: 0,
    max: 86_400_000,
  }),
};

export type ProcessorConfig = ConfigOf<typeof processorConfigSchema>;

export const PROCESSOR_CONFIG = Symbol('PROCESSOR_CONFIG');

// Cross-variable rules the per-variable parsers cannot see; returns the variable to blame.
export function processorConfigCheck(
  config: ProcessorConfig,
): ConfigError | null {
  if (config.MAX_WORK_MS < config.MIN_WORK_MS)
    return new ConfigError('MAX_WORK_MS', 'must be >= MIN_WORK_MS');
  if (config.POLL_MAX_MS < config.POLL_MIN_MS)
    return new ConfigError('POLL_MAX_MS', 'must be >= POLL_MIN_MS');
  if (config.RETRY_MAX_MS < config.RETRY_BASE_MS)
    return new ConfigError('RETRY_MAX_MS', 'must be >= RETRY_BASE_MS');
  if (config.WEBHOOK_RETRY_MAX_MS < config.WEBHOOK_RETRY_BASE_MS)
    return new ConfigError(
      'WEBHOOK_RETRY_MAX_MS',
      'must be >= WEBHOOK_RETRY_BASE_MS',
    );
  return null;
}
