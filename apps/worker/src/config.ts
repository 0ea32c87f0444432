import { z } from 'zod';
import { commonEnv, gatewayProcessEnv, intFromEnv, requireStacksSource } from '@gw/config';
import { workerOperationsEnv } from './operations/config.ts';
import { webhookWorkerEnv } from './webhooks/config.ts';

export const workerEnvSchema = z
  .object({
    ...commonEnv,
    ...gatewayProcessEnv,
    ...workerOperationsEnv,
    ...webhookWorkerEnv,
    META_GRAPH_URL: z.string().url().default('https://graph.facebook.com'),
    META_GRAPH_VERSION: z
      .string()
      .regex(/^v\d+\.\d+$/, 'must look like v24.0')
      .default('v24.0'),
    /** How long to wait for Meta's answer to one call. */
    META_TIMEOUT_MS: intFromEnv(100, 10_000),
    /** In-process category cache in front of Redis; 0 turns it off. */
    CATEGORY_LOCAL_TTL_MS: intFromEnv(0, 1000),
    MM_TIMEOUT_POLICY: z.enum(['fail', 'fallback']).default('fail'),
    /** How long a WABA the MM API refused with 134102 goes straight to Cloud. */
    MM_WABA_COOLDOWN_SECONDS: intFromEnv(1, 600),
    /** How long a template the MM API called "still syncing" (134101) goes to Cloud before MM is tried again. */
    MM_SYNCING_RETRY_SECONDS: intFromEnv(1, 60),
    /** Consecutive MM outages (5xx, timeouts, refused connections) per WABA that open the circuit. */
    MM_BREAKER_THRESHOLD: intFromEnv(1, 5),
    MM_BREAKER_OPEN_MS: intFromEnv(100, 30_000),
    /** Periodic template sync per stack; 0 turns it off. */
    TEMPLATE_SYNC_INTERVAL_MS: intFromEnv(0, 30 * 60_000),
    TEMPLATE_SYNC_PAGE_SIZE: intFromEnv(1, 100),
    /** Longest a send waits for its phone number's pacing slot before a 130429-style refusal. */
    PACING_MAX_WAIT_MS: intFromEnv(0, 2000),
    /** How long a phone number is held back after Meta answers 130429. */
    PACING_BACKOFF_MS: intFromEnv(0, 1000),
    /** How long a finished probe's outcome answers concurrent first sends of the same template. */
    PROBE_OUTCOME_TTL_MS: intFromEnv(100, 2000),
    WORKER_CONCURRENCY: intFromEnv(1, 64),
    LEDGER_RETENTION_SECONDS: intFromEnv(60, 30 * 24 * 3600),
  })
  .superRefine(requireStacksSource);
export type WorkerEnv = z.infer<typeof workerEnvSchema>;
