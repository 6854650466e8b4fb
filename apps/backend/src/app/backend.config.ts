import {
  ConfigError,
  ConfigOf,
  EnvVar,
  int,
  oneOf,
  serverSchema,
} from '@gatehouse/shared/config';

const MIN_JWT_SECRET_BYTES = 16;

// Kept as given and decoded per JWT_SECRET_ENCODING; its value is never echoed.
const secret: EnvVar<string | undefined> = {
  description: 'HS512 key; when set, x-my-jwt is required and verified',
  default: 'unset (off)',
  accepts: `text encoding at least ${MIN_JWT_SECRET_BYTES} bytes per JWT_SECRET_ENCODING`,
  parse: (raw) =>
    raw === undefined || raw.trim() === '' ? undefined : raw.trim(),
};

export const backendSchema = {
  ...serverSchema(3000),
  JWT_SECRET: secret,
  JWT_SECRET_ENCODING: oneOf(
    'How JWT_SECRET turns into key bytes, as in the gateway',
    ['hex', 'utf8'] as const,
    'hex',
  ),
  // The gateway's own variable: the backend refuses a token that lives longer (exp - iat), so a
  // leaked long-lived token is worthless.
  JWT_TTL_S: int(
    'Longest token lifetime (exp - iat) accepted, in seconds, as in the gateway',
    { default: 60, min: 1, max: 3600 },
  ),
  JWT_REPLAY_MAX: int(
    'Token ids (jti) remembered at most to refuse replays; past it the oldest is forgotten',
    { default: 100_000, min: 100, max: 5_000_000 },
  ),
};

export type BackendConfig = ConfigOf<typeof backendSchema>;

export const BACKEND_CONFIG = Symbol('BACKEND_CONFIG');

// The HS512 key bytes, or undefined when verification is off (B-3).
export function jwtKey(config: BackendConfig): Buffer | undefined {
  const text = config.JWT_SECRET;
  return text === undefined
    ? undefined
    : Buffer.from(text, config.JWT_SECRET_ENCODING);
}

export function checkBackendConfig(config: BackendConfig): ConfigError | null {
  const text = config.JWT_SECRET;
  if (text === undefined) return null;
  const valid =
    config.JWT_SECRET_ENCODING === 'hex'
      ? /^(?:[0-9a-fA-F]{2})+$/.test(text) &&
        text.length / 2 >= MIN_JWT_SECRET_BYTES
      : Buffer.byteLength(text, 'utf8') >= MIN_JWT_SECRET_BYTES;
  return valid
    ? null
    : new ConfigError(
        'JWT_SECRET',
        `must encode at least ${MIN_JWT_SECRET_BYTES} bytes as ${config.JWT_SECRET_ENCODING}`,
      );
}
