import { defineConfig } from 'vitest/config';

/** The Redis Cluster tests: `pnpm --filter @gw/e2e test:cluster`. Each starts its own three-node cluster. */
export default defineConfig({
  test: {
    include: ['cluster/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
