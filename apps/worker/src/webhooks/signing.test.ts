import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedHeaders } from './signing.ts';

describe('signedHeaders', () => {
  const body = '{"object":"whatsapp_business_account","entry":[]}';
  const headers = signedHeaders({ id: 'in_abc_s_acme', body, secret: 'stack-secret', nowSeconds: 1_700_000_000 });

  it('signs like Meta, with the stack secret, so SDK webhook handlers accept it', () => {
    expect(headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', 'stack-secret').update(body).digest('hex')}`);
  });

  it('adds Standard Webhooks headers over id, timestamp and body', () => {
    expect(headers['webhook-id']).toBe('in_abc_s_acme');
    expect(headers['webhook-timestamp']).toBe('1700000000');
    const expected = createHmac('sha256', 'stack-secret').update(`in_abc_s_acme.1700000000.${body}`).digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });
});
