import { z } from 'zod';
import { commonEnv, intFromEnv } from '@gw/config';

export const ingressEnvSchema = z.object({
  ...commonEnv,
  PORT: intFromEnv(0, 8080),
  HOST: z.string().default('0.0.0.0'),
  /** How long the ingress holds a client connection waiting for the send's result. */
  SEND_TIMEOUT_MS: intFromEnv(100, 30_000),
  /** How long enqueueing may take before the client gets a 503 (Redis down or slow). */
  ENQUEUE_TIMEOUT_MS: intFromEnv(50, 1000),
  BODY_LIMIT: z.string().default('256kb'),
  SHUTDOWN_TIMEOUT_MS: intFromEnv(0, 20_000),
});
export type IngressEnv = z.infer<typeof ingressEnvSchema>;
