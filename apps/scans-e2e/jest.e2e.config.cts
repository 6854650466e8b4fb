// Named jest.e2e.config.cts, not jest.config.cts, so that @nx/jest/plugin does not infer a unit
// `test` target that would start real processes during `nx run-many -t test`.
module.exports = {
  displayName: 'scans-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  // Real processes and timing: one file at a time on a 2-core machine.
  maxWorkers: 1,
  testTimeout: 90_000,
  coverageDirectory: '../../coverage/apps/scans-e2e',
};
