import { z } from 'zod';

export const STATUS_KINDS = ['sent', 'delivered', 'read'] as const;
export type StatusKind = (typeof STATUS_KINDS)[number];

export interface StatusTiming {
  probability: number;
  /** Measured from the moment the message was accepted. */
  delayMs: number;
}

export interface FailError {
  code: number;
  title: string;
  message: string;
  details: string;
}

export interface WebhookConfig {
  url?: string;
  appSecret: string;
  statuses: Record<StatusKind, StatusTiming>;
  clickProbability: number;
  clickDelayMs: number;
  failProbability: number;
  failError: FailError;
  retryScheduleMs: number[];
  /**
   * false: statuses go out at their own delays even when that puts `delivered`
   * before `sent` (Meta does not guarantee order, simulator README, "Meta's 2026 behaviour").
   */
  inOrder: boolean;
}

const DEFAULT_FAIL_ERROR: FailError = {
  code: 131049,
  title: 'This message was not delivered to maintain healthy ecosystem engagement.',
  message: 'This message was not delivered to maintain healthy ecosystem engagement.',
  details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
};

export function defaultWebhookConfig(url: string | undefined, appSecret: string): WebhookConfig {
  return {
    ...(url ? { url } : {}),
    appSecret,
    statuses: {
      sent: { probability: 1, delayMs: 50 },
      delivered: { probability: 1, delayMs: 100 },
      read: { probability: 1, delayMs: 150 },
    },
    clickProbability: 0,
    clickDelayMs: 200,
    failProbability: 0,
    failError: { ...DEFAULT_FAIL_ERROR },
    // Meta's real schedule is undocumented (36 h to 7 days); this is short enough for tests.
    retryScheduleMs: [500, 2000, 5000, 15000],
    inOrder: true,
  };
}

const probability = z.number().min(0).max(1);
const timingPatch = z.strictObject({ probability: probability.optional(), delayMs: z.number().min(0).optional() });

export const webhookConfigPatchSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .optional(),
  appSecret: z.string().min(1).optional(),
  statuses: z.strictObject({ sent: timingPatch.optional(), delivered: timingPatch.optional(), read: timingPatch.optional() }).optional(),
  clickProbability: probability.optional(),
  clickDelayMs: z.number().min(0).optional(),
  failProbability: probability.optional(),
  failError: z
    .strictObject({
      code: z.number().int(),
      title: z.string().optional(),
      message: z.string().optional(),
      details: z.string().optional(),
    })
    .optional(),
  retryScheduleMs: z.array(z.number().min(0)).max(50).optional(),
  inOrder: z.boolean().optional(),
});

export type WebhookConfigPatch = z.output<typeof webhookConfigPatchSchema>;

/** Merges a partial update; `url: null` switches webhooks off. */
export function mergeWebhookConfig(config: WebhookConfig, patch: WebhookConfigPatch): WebhookConfig {
  const next: WebhookConfig = {
    ...config,
    statuses: {
      sent: { ...config.statuses.sent, ...patch.statuses?.sent },
      delivered: { ...config.statuses.delivered, ...patch.statuses?.delivered },
      read: { ...config.statuses.read, ...patch.statuses?.read },
    },
  };
  if (patch.url === null) delete next.url;
  else if (patch.url !== undefined) next.url = patch.url;
  if (patch.appSecret !== undefined) next.appSecret = patch.appSecret;
  if (patch.inOrder !== undefined) next.inOrder = patch.inOrder;
  if (patch.clickProbability !== undefined) next.clickProbability = patch.clickProbability;
  if (patch.clickDelayMs !== undefined) next.clickDelayMs = patch.clickDelayMs;
  if (patch.failProbability !== undefined) next.failProbability = patch.failProbability;
  if (patch.retryScheduleMs !== undefined) next.retryScheduleMs = [...patch.retryScheduleMs];
  if (patch.failError !== undefined) {
    const title = patch.failError.title ?? patch.failError.message ?? `Error ${patch.failError.code}`;
    next.failError = {
      code: patch.failError.code,
      title,
      message: patch.failError.message ?? title,
      details: patch.failError.details ?? title,
    };
  }
  return next;
}

/** What GET /_sim/webhooks shows: never the secret. */
export function publicWebhookConfig({ appSecret: _secret, ...rest }: WebhookConfig): Omit<WebhookConfig, 'appSecret'> {
  return rest;
}
