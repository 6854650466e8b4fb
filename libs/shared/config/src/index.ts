export * from './lib/env-var';
export * from './lib/load-config';
export * from './lib/config-table';
export * from './lib/app-config.module';
