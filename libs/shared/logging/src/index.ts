export { Logger, PinoLogger, InjectPinoLogger } from 'nestjs-pino';
export type { Logger as BaseLogger } from 'pino';
export * from './lib/logger.factory';
export * from './lib/request-id';
export * from './lib/json-line';
