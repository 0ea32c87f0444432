import { z } from 'zod';
import { commonEnv, intFromEnv, requireStacksSource } from '@gw/config';
import { ingressOperationsEnv } from './operations/config.ts';

/** Empty values (`META_APP_SECRET=` in a compose file) mean "not set". */
const optionalSecret = z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional());

export const ingressEnvSchema = z.object({
  ...commonEnv,
  ...ingressOperationsEnv,
  PORT: intFromEnv(0, 8080),
  HOST: z.string().default('0.0.0.0'),
  /** How long the ingress holds a client connection waiting for the send's result. */
  SEND_TIMEOUT_MS: intFromEnv(100, 30_000),
  /** How long enqueueing may take before the client gets a 503 (Redis down or slow). */
  ENQUEUE_TIMEOUT_MS: intFromEnv(50, 1000),
  /** Most sends one send-batch job carries (the sends of one event-loop tick); 1 turns batching off. */
  SEND_BATCH_MAX_ITEMS: intFromEnv(1, 64),
  CATEGORY_TTL_SECONDS: intFromEnv(1, 3600),
  /** How long an Idempotency-Key is remembered. */
  IDEMPOTENCY_TTL_SECONDS: intFromEnv(60, 24 * 3600),
  /** Largest send body: a WhatsApp message (4,096-character text, templates, interactive) is a few KB. */
  BODY_LIMIT: z.string().default('64kb'),
  /** Sends per second per stack on one ingress; 0: twice the stack's messagesPerSecond, at least 100. */
  STACK_RATE_LIMIT_PER_SECOND: intFromEnv(0, 0),
  /** Sends of one stack in flight at once on one ingress (waiting for the worker's answer). */
  STACK_MAX_IN_FLIGHT: intFromEnv(1, 256),
  /** Warm-ups of one stack waiting or running at once. */
  WARMUP_MAX_QUEUED_PER_STACK: intFromEnv(1, 3),
  SHUTDOWN_TIMEOUT_MS: intFromEnv(0, 20_000),
  /** Verifies X-Hub-Signature-256 of Meta's webhooks; unset: POST /webhooks/meta answers 503. */
  META_APP_SECRET: optionalSecret,
  /** Expected hub.verify_token of Meta's GET /webhooks/meta handshake; unset: the handshake fails. */
  META_VERIFY_TOKEN: optionalSecret,
  /** Bearer token of the admin API; unset: the admin API answers 503. */
  ADMIN_TOKEN: optionalSecret,
}).superRefine(requireStacksSource);
export type IngressEnv = z.infer<typeof ingressEnvSchema>;
