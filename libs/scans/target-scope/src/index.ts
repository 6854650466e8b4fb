export * from './lib/scan-scope';
export * from './lib/resolve-in-scope';
export * from './lib/scope-config';
