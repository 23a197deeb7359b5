// One jest run over every package. Tests import other packages through their
// `exports` only; the `@streampulse/source` condition points those exports at the
// TypeScript sources so tests need no prior build. @swc/jest strips types (fast);
// `tsc -b` does the type-checking.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // CI runs on a loaded 2-core machine: a browser or process test may take seconds there.
  // A test that needs more than this says so itself; a hang still fails, after 30 s.
  testTimeout: 30_000,
  testEnvironmentOptions: {
    customExportConditions: ['@streampulse/source', 'node', 'node-addons'],
  },
  transform: {
    '^.+\\.tsx?$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
    '/@platformatic/kafka/.+\\.js$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/*/test/**/*.test.ts'],
  // @platformatic/kafka (the Kafka client) is published as ESM only: compiled like our
  // sources so the CommonJS test runtime can load it; every other dependency is not.
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/[^/]+/node_modules/)?@platformatic/kafka/)'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/[^/]+/dist/'],
  watchPathIgnorePatterns: ['/dist/'],
};
