export * from './lib/env-var';
export * from './lib/load-config';
export * from './lib/config-table';
