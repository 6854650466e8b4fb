import type { DynamicModule, FactoryProvider } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ConfigError } from './env-var';
import { ConfigCheck, ConfigOf, ConfigSchema, loadConfig } from './load-config';

export interface AppConfigModule<C> {
  // @nestjs/config's ConfigModule, global, its validate the app's schema. withConfig imports it.
  module: DynamicModule;
  // What validate returned, the values ConfigService holds: for what is decided before Nest
  // resolves a provider (the port, the log level, other modules' options).
  config: C;
}

// A bad value stops the app at boot with one JSON line that names the variable.
function exitWith(service: string, error: ConfigError): never {
  process.stderr.write(
    `${JSON.stringify({
      level: 'fatal',
      time: Date.now(),
      service,
      variable: error.variable,
      msg: `invalid configuration: ${error.message}`,
    })}\n`,
  );
  process.exit(1);
}

// The app's ConfigModule: the environment parsed once, by the app's schema and its check.
export async function appConfigModule<S extends ConfigSchema>(
  service: string,
  schema: S,
  check?: ConfigCheck<S>,
): Promise<AppConfigModule<ConfigOf<S>>> {
  const validated: { config?: ConfigOf<S> } = {};
  const unset = Object.keys(schema).filter(
    (name) => process.env[name] === undefined,
  );
  try {
    const module = await ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      // Every value comes from validate: an optional variable set to "" stays undefined.
      skipProcessEnv: true,
      validate: (env) => (validated.config = loadConfig(schema, env, check)),
    });
    if (validated.config === undefined)
      throw new Error('ConfigModule.forRoot did not call validate');
    return { module, config: validated.config };
  } catch (error) {
    if (error instanceof ConfigError) exitWith(service, error);
    throw error;
  } finally {
    // ConfigModule writes the defaults it validated into process.env, and NODE_ENV's would
    // switch express to production mode: the environment stays as it was given.
    for (const name of unset) delete process.env[name];
  }
}

// The app's root module with its ConfigModule imported, so that ConfigService reaches every
// provider.
export function withConfig(
  root: DynamicModule,
  { module }: AppConfigModule<unknown>,
): DynamicModule {
  return { ...root, imports: [module, ...(root.imports ?? [])] };
}

// The whole validated configuration, typed and frozen, read from ConfigService.
export function configFrom<S extends ConfigSchema>(
  service: ConfigService,
  schema: S,
): ConfigOf<S> {
  return Object.freeze(
    Object.fromEntries(
      Object.keys(schema).map((name) => [name, service.get<unknown>(name)]),
    ),
  ) as ConfigOf<S>;
}

// A token that hands providers the validated configuration, fed from ConfigService.
export function configProvider<S extends ConfigSchema>(
  token: symbol,
  schema: S,
): FactoryProvider<ConfigOf<S>> {
  return {
    provide: token,
    inject: [ConfigService],
    useFactory: (service: ConfigService) => configFrom(service, schema),
  };
}
