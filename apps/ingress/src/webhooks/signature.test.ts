import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyMetaSignature } from './signature.ts';

const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
const sign = (raw: Buffer, secret: string) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

describe('verifyMetaSignature', () => {
  it('accepts the HMAC of the exact body with the app secret, in either hex case', () => {
    expect(verifyMetaSignature(body, sign(body, 'app-secret'), 'app-secret')).toBe(true);
    expect(verifyMetaSignature(body, sign(body, 'app-secret').toUpperCase().replace('SHA256=', 'sha256='), 'app-secret')).toBe(true);
  });

  it.each([
    ['a missing header', undefined],
    ['another secret', sign(body, 'other')],
    ['a changed body', sign(Buffer.from(`${body} `), 'app-secret')],
    ['sha1', 'sha1=abc'],
    ['a truncated digest', sign(body, 'app-secret').slice(0, 40)],
  ])('refuses %s', (_name, header) => {
    expect(verifyMetaSignature(body, header, 'app-secret')).toBe(false);
  });
});
