import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // 2 cores: more workers only contend for them.
    maxWorkers: 2,
    fileParallelism: true,
    env: { LANCE_LOG: 'error' },
  },
});
