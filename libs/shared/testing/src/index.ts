export * from './lib/app-process.test-helper';
export * from './lib/recording-upstream.test-helper';
export * from './lib/workspace.test-helper';
export * from './lib/test-db.test-helper';
export * from './lib/open-api.test-helper';
