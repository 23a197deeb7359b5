// One jest run over every package. Tests import other packages through their
// `exports` only; the `@streampulse/source` condition points those exports at the
// TypeScript sources so tests need no prior build. @swc/jest strips types (fast);
// `tsc -b` does the type-checking.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
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
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/*/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/[^/]+/dist/'],
  watchPathIgnorePatterns: ['/dist/'],
};
