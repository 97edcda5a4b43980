import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'host/**/*.test.ts', 'plugin-sdk/src/**/*.test.ts', 'plugins/*/test/**/*.test.ts', 'registry/**/*.test.ts', 'errors/**/*.test.ts', 'lib/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real worker pools, LevelDB and child processes: keep parallelism within two cores.
    maxWorkers: 2,
  },
});
