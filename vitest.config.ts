import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // 2 cores: more workers only contend for them.
    maxWorkers: 2,
    fileParallelism: true,
    // Two test workers share 2 cores: one wasm thread each (tests that need threads ask for them).
    env: { UNIR_WASM_THREADS: '1' },
  },
});
