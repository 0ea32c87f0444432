import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./support/global-setup.ts'],
    // Each file starts real processes; on 2 cores they are steadier one file at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'separate', include: ['e2e/**/*.test.ts', 'integration/**/*.test.ts', 'deploy/**/*.test.ts', 'browser/**/*.test.ts'] },
      },
      // The end-to-end tests again against what `pnpm gateway` starts by default (support/harness.ts, startGateway):
      // one process holding both roles, with a send carrier. A test that names a layout runs as it does above, so
      // the files whose every gateway names one run only there.
      {
        extends: true,
        test: {
          name: 'pnpm-gateway',
          include: ['e2e/**/*.test.ts'],
          exclude: [
            'e2e/audit-analytics-postgres.test.ts',
            'e2e/combined-processes.test.ts',
            'e2e/demo.test.ts',
            'e2e/operations-stacks.test.ts',
            'e2e/resilience.test.ts',
            'e2e/scale-out.test.ts',
            'e2e/send-carriers.test.ts',
            'e2e/shared-worker-state.test.ts',
            'e2e/webhooks-inbound-dead-letters.test.ts',
          ],
          env: { GW_E2E_LAYOUT: 'pnpm-gateway' },
        },
      },
    ],
  },
});
