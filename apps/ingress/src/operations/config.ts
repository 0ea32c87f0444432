import { z } from 'zod';
import { intFromEnv } from '@gw/config';

/** The ingress's operations settings; spread into its env schema. */
export const ingressOperationsEnv = {
  /** /readyz answers 503 unless a worker checked in within this window. */
  READYZ_WORKER_MAX_AGE_MS: intFromEnv(1000, 15_000),
  /** Default grace period of a rotated-out API key (the rotate call may set its own). */
  STACKS_KEY_GRACE_SECONDS: intFromEnv(0, 24 * 3600),
  /** Lifetime of the Bull Board login cookie. */
  ADMIN_SESSION_TTL_SECONDS: intFromEnv(60, 12 * 3600),
  /**
   * The ingress's operations port: `/metrics` and `/healthz`, off the public PORT. 0 = a free
   * port (printed at start). The public PORT serves `/metrics` only with METRICS_TOKEN set.
   */
  INGRESS_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9480),
  INGRESS_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
};

export type IngressOperationsEnv = z.infer<z.ZodObject<typeof ingressOperationsEnv>>;
