export * from './lib/gateway-decision';
export * from './lib/gateway-stats';
export * from './lib/json-schema';
export * from './lib/problem-details';
export * from './lib/scan-id';
export * from './lib/scan-result';
export * from './lib/scan-status';
export * from './lib/scan.dto';
