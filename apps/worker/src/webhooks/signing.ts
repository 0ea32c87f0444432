import { createHmac } from 'node:crypto';

export interface SignedHeadersInput {
  /** The delivery's id: the same on every retry and replay, so clients can deduplicate. */
  id: string;
  body: string;
  secret: string;
  nowSeconds: number;
}

/**
 * Headers of a forwarded webhook.
 * - `X-Hub-Signature-256`: exactly Meta's scheme with the stack's webhookSecret
 *   in place of the app secret, so existing WhatsApp SDK handlers accept it.
 * - Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`):
 *   `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`, keyed with the
 *   UTF-8 bytes of the webhookSecret (a Standard Webhooks library takes them as
 *   `whsec_` + base64 of those bytes).
 */
export function signedHeaders({ id, body, secret, nowSeconds }: SignedHeadersInput): Record<string, string> {
  const timestamp = String(nowSeconds);
  const hub = createHmac('sha256', secret).update(body, 'utf8').digest('hex');
  const standard = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return {
    'content-type': 'application/json',
    'user-agent': 'wa-template-gateway-webhooks/1',
    'x-hub-signature-256': `sha256=${hub}`,
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${standard}`,
  };
}
