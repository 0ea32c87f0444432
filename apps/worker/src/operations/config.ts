import { z } from 'zod';
import { intFromEnv } from '@gw/config';

/** The worker's operations settings; spread into its env schema. */
export const workerOperationsEnv = {
  /** Port of the worker's /metrics, /healthz and /readyz; 0 picks a free one (printed at start). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  WORKER_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  /** How often the worker checks in; the ingress's /readyz looks for a recent check-in. */
  WORKER_HEARTBEAT_INTERVAL_MS: intFromEnv(500, 5000),
};

export type WorkerOperationsEnv = z.infer<z.ZodObject<typeof workerOperationsEnv>>;
