import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts', 'integration/**/*.test.ts', 'deploy/**/*.test.ts', 'browser/**/*.test.ts'],
    globalSetup: ['./support/global-setup.ts'],
    // Each file starts real processes; on 2 cores they are steadier one file at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
