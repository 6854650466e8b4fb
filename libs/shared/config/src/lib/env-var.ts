// One environment variable: how to read it, and what it means (for errors and docs).
export interface EnvVar<T> {
  description: string;
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
        const range = `${Number.isFinite(min) ? min : '-∞'}..${Number.isFinite(max) ? max : '∞'}`;
        throw new InvalidValue(
          `must be ${kind} in ${range}, got ${quoted(raw)}`,
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
    parse: (raw) =>
      present(raw)
        ? raw
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '')
        : [],
  };
}
