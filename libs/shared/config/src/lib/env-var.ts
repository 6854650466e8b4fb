// One environment variable: how to read it, and what it means (for errors and docs).
export interface EnvVar<T> {
  description: string;
  // For docs, as a reader would write it: the value used when the variable is unset ("2000"),
  // "unset" or "empty" when the app runs without one, undefined when it is required.
  default: string | undefined;
  // For docs: what a value may be ("an integer in 0..60000", "one of hex, utf8").
  accepts: string;
  parse(raw: string | undefined): T;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

// Thrown by parsers; loadConfig adds the variable's name.
export class InvalidValue extends Error {}

function present(raw: string | undefined): raw is string {
  return raw !== undefined && raw.trim() !== '';
}

function range(min: number, max: number): string {
  return `${Number.isFinite(min) ? min : '-∞'}..${Number.isFinite(max) ? max : '∞'}`;
}

function bounded(kind: string, min: number, max: number): string {
  if (Number.isFinite(min) && Number.isFinite(max))
    return `${kind} in ${range(min, max)}`;
  if (Number.isFinite(min)) return `${kind} ≥ ${min}`;
  if (Number.isFinite(max)) return `${kind} ≤ ${max}`;
  return kind;
}

function quoted(raw: string): string {
  return JSON.stringify(raw.length > 64 ? `${raw.slice(0, 64)}…` : raw);
}

interface NumberOptions {
  default?: number;
  min?: number;
  max?: number;
}

function numberVar(
  description: string,
  opts: NumberOptions,
  integer: boolean,
): EnvVar<number> {
  const { min = -Infinity, max = Infinity } = opts;
  const kind = integer ? 'an integer' : 'a number';
  return {
    description,
    default: opts.default === undefined ? undefined : String(opts.default),
    accepts: bounded(kind, min, max),
    parse(raw) {
      if (!present(raw)) {
        if (opts.default === undefined) throw new InvalidValue('is required');
        return opts.default;
      }
      const value = Number(raw.trim());
      if (
        !Number.isFinite(value) ||
        (integer && !Number.isInteger(value)) ||
        value < min ||
        value > max
      ) {
        throw new InvalidValue(
          `must be ${kind} in ${range(min, max)}, got ${quoted(raw)}`,
        );
      }
      return value;
    },
  };
}

export function int(
  description: string,
  opts: NumberOptions = {},
): EnvVar<number> {
  return numberVar(description, opts, true);
}

export function num(
  description: string,
  opts: NumberOptions = {},
): EnvVar<number> {
  return numberVar(description, opts, false);
}

export function str(
  description: string,
  opts: { default?: string; pattern?: RegExp } = {},
): EnvVar<string> {
  return {
    description,
    default: opts.default,
    accepts: opts.pattern ? `text matching \`${opts.pattern}\`` : 'text',
    parse(raw) {
      if (!present(raw)) {
        if (opts.default === undefined) throw new InvalidValue('is required');
        return opts.default;
      }
      if (opts.pattern && !opts.pattern.test(raw)) {
        throw new InvalidValue(
          `must match ${opts.pattern}, got ${quoted(raw)}`,
        );
      }
      return raw;
    },
  };
}

export function optional<T>(inner: EnvVar<T>): EnvVar<T | undefined> {
  return {
    description: inner.description,
    default: 'unset',
    accepts: inner.accepts,
    parse: (raw) => (present(raw) ? inner.parse(raw) : undefined),
  };
}

export function oneOf<T extends string>(
  description: string,
  values: readonly T[],
  fallback: T,
): EnvVar<T> {
  return {
    description,
    default: fallback,
    accepts: `one of ${values.join(', ')}`,
    parse(raw) {
      if (!present(raw)) return fallback;
      const value = raw.trim() as T;
      if (!values.includes(value))
        throw new InvalidValue(
          `must be one of ${values.join(', ')}, got ${quoted(raw)}`,
        );
      return value;
    },
  };
}

export function url(
  description: string,
  opts: { default?: string; protocols?: string[] } = {},
): EnvVar<URL> {
  const protocols = opts.protocols ?? ['http:', 'https:'];
  return {
    description,
    default: opts.default,
    accepts: `an absolute ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL`,
    parse(raw) {
      const text = present(raw) ? raw.trim() : opts.default;
      if (text === undefined) throw new InvalidValue('is required');
      let parsed: URL;
      try {
        parsed = new URL(text);
      } catch {
        throw new InvalidValue(`must be an absolute URL, got ${quoted(text)}`);
      }
      if (!protocols.includes(parsed.protocol)) {
        throw new InvalidValue(
          `must use ${protocols.join(' or ')}, got ${quoted(text)}`,
        );
      }
      return parsed;
    },
  };
}

export function hex(
  description: string,
  opts: { minBytes?: number } = {},
): EnvVar<Buffer> {
  const minBytes = opts.minBytes ?? 1;
  return {
    description,
    default: undefined,
    accepts: `hex encoding at least ${minBytes} bytes`,
    parse(raw) {
      if (!present(raw)) throw new InvalidValue('is required');
      const text = raw.trim();
      if (!/^(?:[0-9a-fA-F]{2})+$/.test(text) || text.length / 2 < minBytes) {
        // Never echo a secret back, even a malformed one.
        throw new InvalidValue(
          `must be hex encoding at least ${minBytes} bytes`,
        );
      }
      return Buffer.from(text, 'hex');
    },
  };
}

export function list(description: string): EnvVar<string[]> {
  return {
    description,
    default: 'empty',
    accepts: 'a comma-separated list',
    parse: (raw) =>
      present(raw)
        ? raw
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '')
        : [],
  };
}
