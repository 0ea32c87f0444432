import { z } from 'zod';
import { commonEnv, gatewayProcessEnv, intFromEnv, optionalEnv, requireStacksSource } from '@gw/config';
import { ingressOperationsEnv } from './operations/config.ts';

/** Blank (`META_APP_SECRET=` in a compose file) means unset. */
const optionalSecret = optionalEnv(z.string().min(1));

export const ingressEnvSchema = z
  .object({
    ...commonEnv,
    ...gatewayProcessEnv,
    ...ingressOperationsEnv,
    PORT: intFromEnv(0, 8080),
    HOST: z.string().default('0.0.0.0'),
    /** How long the ingress holds a client connection waiting for the send's result. */
    SEND_TIMEOUT_MS: intFromEnv(100, 30_000),
    /** How long enqueueing may take before the client gets a 503 (Redis down or slow). */
    ENQUEUE_TIMEOUT_MS: intFromEnv(50, 1000),
    /** Most sends one send-batch job carries (the sends of one event-loop tick); 1 turns batching off. */
    SEND_BATCH_MAX_ITEMS: intFromEnv(1, 64),
    /** When at least SEND_BATCH_WINDOW_PENDING sends await replies, a batch stays open this long (ms); 0: never. */
    SEND_BATCH_WINDOW_MS: intFromEnv(0, 10),
    SEND_BATCH_WINDOW_PENDING: intFromEnv(1, 256),
    /** How long an Idempotency-Key is remembered. */
    IDEMPOTENCY_TTL_SECONDS: intFromEnv(60, 24 * 3600),
    BODY_LIMIT: z.string().default('256kb'),
    /** Verifies X-Hub-Signature-256 of Meta's webhooks; unset: POST /webhooks/meta answers 503. */
    META_APP_SECRET: optionalSecret,
    /** Expected hub.verify_token of Meta's GET /webhooks/meta handshake; unset: the handshake fails. */
    META_VERIFY_TOKEN: optionalSecret,
    /** Bearer token of the admin API; unset: the admin API answers 503. */
    ADMIN_TOKEN: optionalSecret,
  })
  .superRefine(requireStacksSource);
export type IngressEnv = z.infer<typeof ingressEnvSchema>;
