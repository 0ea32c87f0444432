import { createHmac } from 'node:crypto';

/** X-Hub-Signature-256 value: HMAC-SHA256 over the exact bytes that go on the wire. */
export function signatureFor(rawBody: Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}
