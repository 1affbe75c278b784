/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Integration tests start real HTTP servers on loopback; keep the whole suite bounded.
  testTimeout: 30_000,
  setupFiles: ['<rootDir>/test/support/jest-env.ts'],
  maxWorkers: 2,
};
