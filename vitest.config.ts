import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Native SQLite work and real HTTP servers: keep the two cores from thrashing.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
  },
});
