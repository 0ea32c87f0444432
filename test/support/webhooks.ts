import { createHmac, randomUUID } from 'node:crypto';
import { post, type Gateway, type HttpAnswer, type TestStack } from './harness.ts';
import { request } from 'undici';

/** Secrets of one test file's gateway: Meta's app secret, the verify token and the admin token. */
export function webhookSecrets() {
  return { appSecret: `app-${randomUUID()}`, verifyToken: `verify-${randomUUID()}`, adminToken: `admin-${randomUUID()}` };
}

export type WebhookSecrets = ReturnType<typeof webhookSecrets>;

/** Gateway env for webhooks in tests: loopback receivers allowed, a short retry schedule. */
export function webhookEnv(secrets: WebhookSecrets, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    META_APP_SECRET: secrets.appSecret,
    META_VERIFY_TOKEN: secrets.verifyToken,
    ADMIN_TOKEN: secrets.adminToken,
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    WEBHOOK_RETRY_SCHEDULE_MS: '200,400,800',
    WEBHOOK_TIMEOUT_MS: '2000',
    ...extra,
  };
}

/** Posts a payload to the gateway signed like Meta would (or with the given header). */
export function postToMetaWebhook(gateway: Gateway, payload: unknown, appSecret: string, signature?: string): Promise<HttpAnswer> {
  const raw = JSON.stringify(payload);
  const header = signature ?? `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
  return post(`${gateway.url}/webhooks/meta`, raw, { 'x-hub-signature-256': header });
}

let seq = 0;
export function wamid(): string {
  seq += 1;
  return `wamid.TEST${Date.now()}${seq}${randomUUID().slice(0, 8)}`;
}

/** A `messages` change with statuses for one stack's phone number. */
export function statusChange(stack: TestStack, statuses: object[]) {
  return {
    field: 'messages',
    value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550001111', phone_number_id: stack.phoneNumberId },
      statuses,
    },
  };
}

export function sentStatus(id: string, extra: object = {}) {
  return { id, status: 'sent', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: '15550001234', ...extra };
}

export function envelope(wabaId: string, changes: object[]) {
  return { object: 'whatsapp_business_account', entry: [{ id: wabaId, changes }] };
}

export interface AdminClient {
  list(query?: Record<string, string>): Promise<HttpAnswer>;
  replay(id: string): Promise<HttpAnswer>;
  replayMany(body: object): Promise<HttpAnswer>;
}

export function adminClient(gateway: Gateway, token: string): AdminClient {
  const auth = { authorization: `Bearer ${token}` };
  return {
    async list(query = {}) {
      const response = await request(`${gateway.url}/admin/webhooks/dead-letters?${new URLSearchParams(query)}`, { headers: auth });
      const text = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body: text ? JSON.parse(text) : undefined, text };
    },
    replay: (id) => post(`${gateway.url}/admin/webhooks/dead-letters/${encodeURIComponent(id)}/replay`, {}, auth),
    replayMany: (body) => post(`${gateway.url}/admin/webhooks/dead-letters/replay`, body, auth),
  };
}
