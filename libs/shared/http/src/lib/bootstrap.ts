import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { assignRequestId, Logger } from '@gatehouse/shared/logging';
import type { Server } from 'node:http';
import { bodyParserProblem } from './body-parser.problem';
import { KnownQueryParametersGuard } from './known-query-parameters.guard';
import { OpenApiOptions, setupOpenApi } from './open-api';
import { ProblemDetailsFilter } from './problem-details.filter';

export interface BootstrapOptions {
  // Names the app in the one fatal line written when start-up fails.
  service: string;
  port: number;
  host: string;
  // JSON and urlencoded body parsers; the gateway turns them off to stream bodies untouched.
  bodyParser?: boolean;
  // Runs after the shared set-up (hardenServer included) and before listen.
  configure?: (app: NestExpressApplication) => void | Promise<void>;
  // O-2: serves /openapi.json and /docs (under the global prefix), after configure.
  openApi?: OpenApiOptions;
  // How long a graceful shutdown may take before the process exits anyway.
  shutdownGraceMs?: number;
}

// Slowloris guard: a client must send its headers, and then its whole request, in bounded time.
export function hardenServer(server: Server): void {
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 200;
}

// One JSON line for a fatal error, never Node's multi-line stack trace.
function fatal(service: string, msg: string, error: unknown): void {
  process.stderr.write(
    `${JSON.stringify({
      level: 'fatal',
      time: Date.now(),
      service,
      msg: `${msg}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    })}\n`,
  );
}

// Starts the app; a failed start-up ends the process with one fatal JSON line and exit code 1.
export async function bootstrap(
  module: Type<unknown> | DynamicModule,
  options: BootstrapOptions,
): Promise<INestApplication> {
  process.once('uncaughtException', (error) => {
    fatal(options.service, 'uncaught exception', error);
    process.exit(1);
  });
  process.once('unhandledRejection', (reason) => {
    fatal(options.service, 'unhandled rejection', reason);
    process.exit(1);
  });
  try {
    return await start(module, options);
  } catch (error) {
    fatal(options.service, 'start-up failed', error);
    process.exit(1);
  }
}

async function start(
  module: Type<unknown> | DynamicModule,
  options: BootstrapOptions,
): Promise<INestApplication> {
  // Nest would mount its default parsers at listen, after every middleware mounted here; they
  // are mounted below instead, so that the request id comes before them and the error mapping
  // after them.
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: true,
    bodyParser: false,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalGuards(new KnownQueryParametersGuard(app.get(Reflector)));
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(assignRequestId);
  if (options.bodyParser ?? true) {
    app.useBodyParser('json');
    app.useBodyParser('urlencoded', { extended: true });
  }
  hardenServer(app.getHttpServer() as Server);
  // After the defaults, so that an app may tighten or replace them.
  await options.configure?.(app);
  // Nest's router turns a JSON SyntaxError into a plain 400 that quotes the body; body errors
  // become problems here first, for the parsers mounted above and in configure.
  app.use(
    (
      error: unknown,
      _req: unknown,
      _res: unknown,
      next: (e: unknown) => void,
    ) => next(bodyParserProblem(error) ?? error),
  );
  if (options.openApi) setupOpenApi(app, options.openApi);

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error({ signal }, 'shutdown grace period exceeded, exiting');
      process.exit(1);
    }, options.shutdownGraceMs ?? 10_000);
    force.unref();
    app
      .close()
      .then(() => {
        logger.log('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  await app.listen(options.port, options.host);
  logger.log({ port: options.port, host: options.host }, 'listening');
  return app;
}
