// Named jest.e2e.config.cts, not jest.config.cts, so that @nx/jest/plugin does not infer a unit
// `test` target that would start real processes during `nx run-many -t test`.
module.exports = {
  displayName: 'suite-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  // The docs checks in src/docs are the `test` target (jest.config.cts).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/src/docs/'],
  // The whole suite as a user runs it: one file at a time on a 2-core machine.
  maxWorkers: 1,
  testTimeout: 600_000,
  coverageDirectory: '../../coverage/apps/suite-e2e',
};
