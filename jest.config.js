/**
 * Unit specs (`*.spec.ts`) sit beside their code and need no Docker and no Redis: `npm run
 * test:unit` runs only them. Specs beside their code that drive a real redis-server or Docker
 * engine are `*.int-spec.ts` (the `integration` project); e2e suites live in test/ and run the
 * built apps against real Redis, sharp, ffmpeg and Docker.
 */
const moduleNameMapper = { '^@fopflow/(.*)$': '<rootDir>/libs/$1/src' };
const transform = { '^.+\\.ts$': 'ts-jest' };
const moduleFileExtensions = ['ts', 'js', 'cjs', 'json'];

module.exports = {
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      moduleFileExtensions,
      roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/bench', '<rootDir>/scripts'],
      testMatch: ['**/*.spec.ts'],
      moduleNameMapper,
      transform,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      moduleFileExtensions,
      roots: ['<rootDir>/apps', '<rootDir>/libs'],
      testMatch: ['**/*.int-spec.ts'],
      moduleNameMapper,
      transform,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      moduleFileExtensions,
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts', '**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      moduleNameMapper,
      transform,
    },
  ],
};
