// Named jest.e2e.config.cts, not jest.config.cts, so that @nx/jest/plugin does not infer a unit
// `test` target that would start real processes and a browser during `nx run-many -t test`.
module.exports = {
  displayName: 'console-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  // Real processes, a real browser and timing: one file at a time on a 2-core machine.
  maxWorkers: 1,
  testTimeout: 120_000,
  coverageDirectory: '../../coverage/apps/console-e2e',
};
