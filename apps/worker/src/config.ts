import { z } from 'zod';
import { auditEnv, commonEnv, gatewayProcessEnv, intFromEnv, metaGraphEnv, requireStacksSource } from '@gw/config';
import { workerOperationsEnv } from './operations/config.ts';
import { webhookWorkerEnv } from './webhooks/config.ts';

export const workerEnvSchema = z
  .object({
    ...commonEnv,
    ...gatewayProcessEnv,
    ...auditEnv,
    ...workerOperationsEnv,
    ...webhookWorkerEnv,
    ...metaGraphEnv,
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
    /**
     * Sends one worker process has in flight at most (the sends of all its jobs). 4,096 holds
     * four numbers at 1,000 msg/s with a one-second Meta; pacing, not this, should be the limit.
     */
    WORKER_SENDS_IN_FLIGHT: intFromEnv(1, 4096),
    /** send-batch jobs in flight; unset: as many as sends (a job holds at least one), so only the send limit binds. */
    WORKER_CONCURRENCY: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).optional()),
    /** Connections to Meta per worker process; 0 (default): WORKER_SENDS_IN_FLIGHT, one per send in flight over HTTP/1.1. */
    META_CONNECTIONS: intFromEnv(0, 0),
    /** Offer HTTP/2 to Meta (TLS ALPN; Graph speaks it): many sends share a few connections. */
    META_HTTP2: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false', '1', '0']).default('false')).transform((v) => v === 'true' || v === '1'),
  })
  .superRefine(requireStacksSource);
export type WorkerEnv = z.infer<typeof workerEnvSchema>;
