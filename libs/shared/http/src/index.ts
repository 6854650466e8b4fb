export * from './lib/bootstrap';
export * from './lib/metrics.controller';
export * from './lib/problem-details.filter';
export * from './lib/problem.exception';
export * from './lib/open-api';
