import { ConfigError, EnvVar, InvalidValue, int, oneOf, str } from './env-var';

export type ConfigSchema = Record<string, EnvVar<unknown>>;
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: ReturnType<S[K]['parse']>;
};

// A rule across variables (say, a minimum not above its maximum): null when it holds.
export type ConfigCheck<S extends ConfigSchema> = (
  config: ConfigOf<S>,
) => ConfigError | null;

// Parses the environment by the schema, frozen; appConfigModule runs it as ConfigModule's
// validate.
export function loadConfig<S extends ConfigSchema>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  check?: ConfigCheck<S>,
): ConfigOf<S> {
  const config: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(schema)) {
    try {
      config[name] = variable.parse(env[name]);
    } catch (error) {
      if (error instanceof InvalidValue)
        throw new ConfigError(name, error.message);
      throw error;
    }
  }
  const loaded = Object.freeze(config) as ConfigOf<S>;
  const broken = check?.(loaded);
  if (broken) throw broken;
  return loaded;
}

export const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// PORT, HOST and LOG_LEVEL mean the same in every app.
export function serverSchema(defaultPort: number) {
  return {
    PORT: int('TCP port to listen on', {
      default: defaultPort,
      min: 1,
      max: 65535,
    }),
    HOST: str('Interface to bind', { default: '0.0.0.0' }),
    LOG_LEVEL: oneOf<LogLevel>('Minimum log level', LOG_LEVELS, 'info'),
  };
}

export type ServerConfig = ConfigOf<ReturnType<typeof serverSchema>>;
