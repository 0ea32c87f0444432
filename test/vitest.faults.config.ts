import { defineConfig } from 'vitest/config';

/** The fault suite: real processes, injected crashes and outages; minutes, not seconds. */
export default defineConfig({
  test: {
    include: ['faults/**/*.test.ts'],
    globalSetup: ['./support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
});
