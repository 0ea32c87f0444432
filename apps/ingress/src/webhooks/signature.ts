import { createHmac } from 'node:crypto';
import { secretsEqual } from '@gw/process-tools';

const HEADER = /^sha256=([0-9a-f]{64})$/i;

/** Meta's `X-Hub-Signature-256`: HMAC-SHA256 of the exact raw body with the app secret, compared in constant time. */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  const match = header ? HEADER.exec(header.trim()) : null;
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest('hex');
  return secretsEqual(match[1]!.toLowerCase(), expected);
}
