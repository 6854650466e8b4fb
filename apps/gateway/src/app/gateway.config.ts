import {
  ConfigOf,
  EnvVar,
  int,
  InvalidValue,
  list,
  ConfigError,
  oneOf,
  optional,
  serverSchema,
  str,
  url,
} from '@gatehouse/shared/config';

// Allowlist entries normalised to "hostname:port", the form requests are matched in.
function hostList(description: string): EnvVar<string[]> {
  const inner = list(description);
  return {
    description,
    default: 'unset (off)',
    accepts: 'a comma-separated list of host or host:port',
    parse(raw) {
      return inner.parse(raw).map((entry) => {
        let parsed: URL;
        try {
          parsed = new URL(`http://${entry}/`);
        } catch {
          throw new InvalidValue(`has an entry that is not a host: ${entry}`);
        }
        const host = entry.toLowerCase();
        if (host !== parsed.host && host !== `${parsed.host}:80`)
          throw new InvalidValue(`has an entry that is not a host: ${entry}`);
        return `${parsed.hostname}:${parsed.port || '80'}`;
      });
    },
  };
}

const MIN_JWT_SECRET_BYTES = 16;

// Redis Cluster seed nodes: "host:port", the port required (a cluster has no default one).
function nodeList(
  description: string,
): EnvVar<{ host: string; port: number }[]> {
  const inner = list(description);
  return {
    description,
    default: 'unset',
    accepts: 'a comma-separated list of host:port',
    parse(raw) {
      return inner.parse(raw).map((entry) => {
        let parsed: URL | undefined;
        try {
          parsed = new URL(`redis://${entry}/`);
        } catch {
          parsed = undefined;
        }
        if (
          parsed === undefined ||
          parsed.port === '' ||
          parsed.host !== entry.toLowerCase()
        )
          throw new InvalidValue(
            `has an entry that is not host:port: ${entry}`,
          );
        // IPv6 literals come back bracketed; the socket wants them bare.
        return {
          host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: Number(parsed.port),
        };
      });
    },
  };
}

// A secret is kept as given and decoded per JWT_SECRET_ENCODING; its value is never echoed.
function secret(description: string): EnvVar<string | undefined> {
  return {
    description,
    default: 'unset (off)',
    accepts: `text encoding at least ${MIN_JWT_SECRET_BYTES} bytes per JWT_SECRET_ENCODING`,
    parse: (raw) =>
      raw === undefined || raw.trim() === '' ? undefined : raw.trim(),
  };
}

// "0" or "1", for switches.
function flag(description: string, fallback: boolean): EnvVar<boolean> {
  const inner = oneOf(description, ['0', '1'] as const, fallback ? '1' : '0');
  return { ...inner, parse: (raw) => inner.parse(raw) === '1' };
}

export const gatewaySchema = {
  ...serverSchema(8080),
  BACKEND_URL: url('Upstream every non-blocked request is forwarded to', {
    default: 'http://127.0.0.1:3000',
  }),
  ADMIN_PREFIX: str(
    "Path prefix of the gateway's own endpoints, never forwarded",
    { default: '/_gateway', pattern: /^\/[A-Za-z0-9._~-]+$/ },
  ),
  DUPLICATE_DELAY_MS: int(
    'Hold applied to an exact replay from the same client; 0 turns it off',
    { default: 2000, min: 0, max: 60_000 },
  ),
  DUPLICATE_TTL_MS: int('How long the last request of a client is remembered', {
    default: 3_600_000,
    min: 1_000,
  }),
  MAX_HELD: int('Requests held for the duplicate delay at once (429 past it)', {
    default: 10_000,
    min: 1,
  }),
  STORE_MAX_CLIENTS: int('In-memory store: clients remembered at most (LRU)', {
    default: 100_000,
    min: 100,
  }),
  UPSTREAM_TIMEOUT_MS: int('Upstream response timeout (504 past it)', {
    default: 10_000,
    min: 1,
  }),
  UPSTREAM_CONNECTIONS: int('Keep-alive connections to the upstream', {
    default: 128,
    min: 1,
  }),
  UPSTREAM_ERROR_LOG: str('File that upstream failures are appended to', {
    default: 'upstream-errors.log',
  }),
  MAX_IN_FLIGHT: int('Forwarded requests in flight at most (503 past it)', {
    default: 1000,
    min: 1,
  }),
  MAX_BODY_BYTES: int(
    'Largest body buffered for inspection and fingerprinting',
    { default: 1_048_576, min: 1024 },
  ),
  BODY_TIMEOUT_MS: int(
    'Time a client has to send a body the gateway buffers (408 past it)',
    { default: 10_000, min: 100, max: 600_000 },
  ),
  MAX_PENDING_BODIES: int(
    'Requests per client whose body is still arriving at once (429 past it)',
    { default: 32, min: 1 },
  ),
  MAX_HEADER_FIELDS: int('Header fields a request may carry (431 past it)', {
    default: 200,
    min: 16,
    max: 4096,
  }),
  MAX_TUNNELS: int('WebSocket tunnels open at once (503 past it)', {
    default: 1000,
    min: 1,
  }),
  MAX_TUNNELS_PER_CLIENT: int(
    'WebSocket tunnels one client may hold at once (429 past it)',
    { default: 64, min: 1 },
  ),
  TUNNEL_IDLE_MS: int('A WebSocket tunnel idle this long is closed', {
    default: 60_000,
    min: 100,
    max: 86_400_000,
  }),
  MAX_JSON_DEPTH: int('Deepest JSON nesting inspected (400 past it)', {
    default: 64,
    min: 1,
    max: 512,
  }),
  INSPECT_METHODS: list(
    'Methods whose JSON bodies are inspected for is_malicious; empty means POST',
  ),
  TRUST_PROXY: int(
    'Trusted proxy hops in front of the gateway (X-Forwarded-For)',
    { default: 0, min: 0, max: 10 },
  ),
  HEDGE_AFTER_MS: int('Hedged calls: wait before extra copies', {
    default: 300,
    min: 1,
  }),
  HEDGE_EXTRA: int('Hedged calls: extra copies at most', {
    default: 2,
    min: 0,
    max: 10,
  }),
  DUPLICATE_DELAY_HEDGED: flag(
    "Whether hedged routes are held as replays too (1, never past the call's timeout) or exempt (0)",
    false,
  ),
  HEDGE_ROUTES: list(
    'Path prefixes of further GET routes served with the hedging policy',
  ),
  RATE_LIMIT: int(
    'Requests per client per RATE_LIMIT_WINDOW_MS (429 past it); 0 turns it off',
    { default: 0, min: 0 },
  ),
  RATE_LIMIT_WINDOW_MS: int('Window of the per-client rate limit', {
    default: 60_000,
    min: 100,
    max: 86_400_000,
  }),
  STATS_MAX_PATHS: int(
    'Distinct paths counted at most, in memory (LRU) and in Redis (lowest counts trimmed)',
    {
      default: 100_000,
      min: 100,
    },
  ),
  STATS_FLUSH_MS: int(
    'How often batched statistics and counters are written to the store',
    { default: 200, min: 10, max: 10_000 },
  ),
  LOAD_TEST_MAX: int('Largest n accepted by POST <ADMIN_PREFIX>/test/<n>', {
    default: 10_000,
    min: 1,
    max: 1_000_000,
  }),
  LOAD_TEST_CONCURRENCY: int(
    'Requests in flight at once while generating load',
    {
      default: 16,
      min: 1,
      max: 1024,
    },
  ),
  REDIS_TIMEOUT_MS: int(
    'Bound on one Redis command; past it the gateway fails open',
    { default: 500, min: 10, max: 60_000 },
  ),
  JWT_SECRET: secret(
    'HS512 key: when set, every forwarded request carries a signed x-my-jwt',
  ),
  JWT_SECRET_ENCODING: oneOf(
    "How JWT_SECRET turns into key bytes: hex decodes it, utf8 uses the string's own bytes",
    ['hex', 'utf8'] as const,
    'hex',
  ),
  JWT_USER: str('The user claim of the injected JWT', { default: 'gatehouse' }),
  JWT_TTL_S: int(
    'Lifetime of the injected JWT in seconds (exp = iat + JWT_TTL_S)',
    { default: 60, min: 1, max: 3600 },
  ),
  FORWARD_PROXY_ALLOW: hostList(
    'Hosts (host or host:port, port 80 when omitted) served in forward-proxy mode',
  ),
  FORWARD_PROXY_JWT: flag(
    'Whether forward-proxy requests to allowlisted hosts carry x-my-jwt',
    true,
  ),
  REDIS_URL: optional(
    url(
      'Redis for state shared by replicas; unset, state lives in process memory',
      {
        protocols: ['redis:', 'rediss:'],
      },
    ),
  ),
  REDIS_CLUSTER_NODES: nodeList(
    'Redis Cluster seed nodes (host:port,...) for state shared by replicas; instead of REDIS_URL',
  ),
  REDIS_PREFIX: str('Prefix of every Redis key the gateway writes', {
    default: 'gatehouse:',
  }),
  NODE_ENV: oneOf(
    'Runtime environment',
    ['production', 'development', 'test'] as const,
    'production',
  ),
};

export type GatewayConfig = ConfigOf<typeof gatewaySchema>;

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

// One Redis setting at a time, and a prefix that cannot take over the keys' hash tags (G-5).
function checkRedisConfig(config: GatewayConfig): ConfigError | null {
  if (config.REDIS_URL !== undefined && config.REDIS_CLUSTER_NODES.length > 0)
    return new ConfigError(
      'REDIS_CLUSTER_NODES',
      'and REDIS_URL are both set: set REDIS_URL for one Redis server or REDIS_CLUSTER_NODES for a Redis Cluster, not both',
    );
  if (/[{}]/.test(config.REDIS_PREFIX))
    return new ConfigError(
      'REDIS_PREFIX',
      'must not contain { or }: every key carries a hash tag of its own',
    );
  return null;
}

// JWT_SECRET must decode, per its encoding, to a key of at least 16 bytes.
export function checkGatewayConfig(config: GatewayConfig): ConfigError | null {
  const redis = checkRedisConfig(config);
  if (redis) return redis;
  const text = config.JWT_SECRET;
  if (text === undefined) return null;
  if (config.JWT_SECRET_ENCODING === 'hex') {
    if (
      !/^(?:[0-9a-fA-F]{2})+$/.test(text) ||
      text.length / 2 < MIN_JWT_SECRET_BYTES
    )
      return new ConfigError(
        'JWT_SECRET',
        `must be hex encoding at least ${MIN_JWT_SECRET_BYTES} bytes (or set JWT_SECRET_ENCODING=utf8)`,
      );
  } else if (Buffer.byteLength(text, 'utf8') < MIN_JWT_SECRET_BYTES) {
    return new ConfigError(
      'JWT_SECRET',
      `must be at least ${MIN_JWT_SECRET_BYTES} bytes`,
    );
  }
  return null;
}

// The HS512 key bytes, or undefined when injection is off (G-8).
export function jwtKey(config: GatewayConfig): Buffer | undefined {
  const text = config.JWT_SECRET;
  if (text === undefined) return undefined;
  return Buffer.from(text, config.JWT_SECRET_ENCODING);
}

export function inspectedMethods(config: GatewayConfig): ReadonlySet<string> {
  return new Set(
    config.INSPECT_METHODS.length > 0
      ? config.INSPECT_METHODS.map((m) => m.toUpperCase())
      : ['POST'],
  );
}
