import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e suites start real processes and servers; two cores are shared.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
