// The `test` target: fast checks of the docs that start nothing. The suite itself runs under
// jest.e2e.config.cts (the `e2e` target).
module.exports = {
  displayName: 'suite-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  testMatch: ['<rootDir>/src/docs/**/*.spec.ts'],
  coverageDirectory: '../../coverage/apps/suite-e2e',
};
