import type { DynamicModule } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule, Params } from 'nestjs-pino';
import pino, {
  DestinationStream,
  Logger as PinoBaseLogger,
  LoggerOptions,
} from 'pino';
import { requestIdFor } from './request-id';

// Secrets never reach a log line, even if a serializer or a caller adds headers later.
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-my-jwt"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-my-jwt"]',
  'jwt',
  'secret',
];

export interface LoggingOptions {
  service: string;
  level: string;
  version?: string;
  // Extra fields for the per-request line, evaluated when the response finishes.
  requestFields?: (
    req: IncomingMessage,
    res: ServerResponse,
  ) => Record<string, unknown>;
  // Paths that produce no request line (health probes).
  quietPaths?: (url: string) => boolean;
  destination?: DestinationStream;
  // Gathers lines into writes of about this many bytes, each out within LOG_FLUSH_MS, instead
  // of one write per line: for a service that logs a line per request. pino writes what is
  // left when the process exits, gracefully or not.
  bufferBytes?: number;
  // Routes the request logger runs on (nestjs-pino's default is every route).
  forRoutes?: Params['forRoutes'];
}

// pino's isoTime builds a Date and its ISO string for every line. The string only changes
// once a millisecond, so it is built once per millisecond: the `time` field is the same.
let cachedMs = -1;
let cachedTime = '';
export function isoTime(): string {
  const now = Date.now();
  if (now !== cachedMs) {
    cachedMs = now;
    cachedTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return cachedTime;
}

export function loggerOptions(options: LoggingOptions): LoggerOptions {
  return {
    level: options.level,
    base: {
      service: options.service,
      version: options.version ?? process.env['npm_package_version'] ?? '0.0.0',
    },
    timestamp: isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
}

// How long a buffered line may wait for the lines that fill its write.
export const LOG_FLUSH_MS = 50;

// Asynchronous, so that writing logs never blocks the event loop on the request path. pino
// flushes it synchronously on process exit (exit() and fatal errors included).
export function logDestination(bufferBytes = 0): DestinationStream {
  return pino.destination({
    dest: 1,
    sync: false,
    minLength: bufferBytes,
    periodicFlush: bufferBytes > 0 ? LOG_FLUSH_MS : 0,
  });
}

export function createLogger(options: LoggingOptions): PinoBaseLogger {
  return pino(
    loggerOptions(options),
    options.destination ?? logDestination(options.bufferBytes),
  );
}

export interface FileLogger {
  logger: PinoBaseLogger;
  // Writes what is buffered now: for shutdown.
  flush(): void;
}

// JSON lines to a file of their own (appended, its folder made if missing), written
// asynchronously, in the same form as the service's stdout lines.
export function createFileLogger(
  options: Pick<LoggingOptions, 'service' | 'level'> & { path: string },
): FileLogger {
  const destination = pino.destination({
    dest: options.path,
    sync: false,
    mkdir: true,
    append: true,
  });
  return {
    logger: pino(loggerOptions(options), destination),
    flush: () => {
      try {
        destination.flushSync();
      } catch {
        // Nothing was buffered or the file is already closed.
      }
    },
  };
}

const defaultQuietPaths = (url: string) =>
  url.startsWith('/health/') || url === '/metrics';

export function createLoggerModule(options: LoggingOptions): DynamicModule {
  const quiet = options.quietPaths ?? defaultQuietPaths;
  return LoggerModule.forRoot({
    forRoutes: options.forRoutes,
    pinoHttp: {
      logger: createLogger(options),
      genReqId: (req, res) => requestIdFor(req, res),
      customAttributeKeys: { reqId: 'requestId', responseTime: 'latencyMs' },
      autoLogging: { ignore: (req) => quiet(req.url ?? '') },
      quietReqLogger: true,
      // Bodies and headers are never logged: only the request line's shape.
      serializers: {
        req: (req: { method: string; url: string }) => ({
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customProps: options.requestFields
        ? (req, res) =>
            (
              options.requestFields as NonNullable<
                LoggingOptions['requestFields']
              >
            )(req, res)
        : undefined,
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500
          ? 'error'
          : res.statusCode >= 400
            ? 'warn'
            : 'info',
      customSuccessMessage: () => 'request completed',
      customErrorMessage: () => 'request failed',
    },
  });
}
