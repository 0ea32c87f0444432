import { z } from 'zod';
import { blankIsUnset, intFromEnv } from '@gw/config';

/** Over 24 h even with -20 % jitter (about 39.7 h nominal): 11 retries after the first try. */
export const DEFAULT_RETRY_SCHEDULE_MS = '10000,30000,120000,600000,1800000,3600000,7200000,14400000,28800000,43200000,43200000';

const schedule = z
  .string()
  .default(DEFAULT_RETRY_SCHEDULE_MS)
  .transform((value, ctx) => {
    const delays = value.split(',').map((part) => Number(part.trim()));
    if (delays.length === 0 || delays.some((d) => !Number.isInteger(d) || d < 0)) {
      ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of non-negative integers (milliseconds)' });
    }
    return delays;
  });

const bool = z.preprocess(blankIsUnset, z.enum(['true', 'false', '1', '0']).default('false')).transform((v) => v === 'true' || v === '1');

/** The worker's webhook settings; spread into its env schema. */
export const webhookWorkerEnv = {
  /** Delays between delivery attempts, in ms; attempts = entries + 1. */
  WEBHOOK_RETRY_SCHEDULE_MS: schedule,
  /** Each delay varies by up to this fraction either way, so retries of many deliveries spread out. */
  WEBHOOK_RETRY_JITTER: z.coerce.number().min(0).max(1).default(0.2),
  /** Upper bound on a client's Retry-After. */
  WEBHOOK_RETRY_AFTER_MAX_MS: intFromEnv(0, 3_600_000),
  /** Whole-request deadline of one delivery attempt. */
  WEBHOOK_TIMEOUT_MS: intFromEnv(100, 5000),
  /** Deliveries in flight per worker process. */
  WEBHOOK_CONCURRENCY: intFromEnv(1, 32),
  /** Deliveries in flight per stack and worker process, so one slow endpoint cannot take every slot. */
  WEBHOOK_STACK_CONCURRENCY: intFromEnv(1, 8),
  /** Inbound envelopes split and enriched in parallel per worker process. */
  WEBHOOK_INBOUND_CONCURRENCY: intFromEnv(1, 8),
  /** `true` allows stack webhook URLs on private, link-local or loopback addresses. */
  WEBHOOK_ALLOW_PRIVATE_URLS: bool,
};

export type WebhookWorkerEnv = z.infer<z.ZodObject<typeof webhookWorkerEnv>>;
