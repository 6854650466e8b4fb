export * from './lib/accept-any-query.decorator';
export * from './lib/body-parser.problem';
export * from './lib/bootstrap';
export * from './lib/known-query-parameters.guard';
export * from './lib/metrics.controller';
export * from './lib/problem-details.filter';
export * from './lib/problem.exception';
export * from './lib/open-api';
