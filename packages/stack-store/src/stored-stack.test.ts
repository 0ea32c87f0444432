import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashApiKey, StackDirectory } from '@gw/config';
import { applyChange, generateApiKey, newStackSchema, rotateApiKey, sealStack, stackChangeSchema, unsealStack, viewOf } from './stored-stack.ts';

const key = randomBytes(32);
const input = newStackSchema.parse({
  id: 'acme',
  phoneNumberId: '111',
  wabaId: '222',
  accessToken: 'EAAG-secret-token',
  webhookUrl: 'https://hooks.example/wa',
  webhookSecret: 'whsec-secret-value',
});
const apiKey = generateApiKey();
const now = 1_700_000_000_000;

describe('a stored stack', () => {
  const record = sealStack(key, { ...input, apiKey }, 'api', now);

  it('holds the API key only as a hash and the Meta token and webhook secret only encrypted', () => {
    const text = JSON.stringify(record);
    for (const secret of [apiKey, 'EAAG-secret-token', 'whsec-secret-value']) expect(text).not.toContain(secret);
    expect(record.apiKeys).toEqual([{ hash: hashApiKey(apiKey), createdAt: now }]);
  });

  it('gives the gateway the secrets back in memory', () => {
    const { stack } = unsealStack(key, record);
    expect(stack).toMatchObject({ id: 'acme', accessToken: 'EAAG-secret-token', webhookSecret: 'whsec-secret-value', mmRouting: true, messagesPerSecond: 80 });
  });

  it('shows operators whether a webhook secret exists, never the secret or the key', () => {
    const view = viewOf(record, now);
    expect(view).toMatchObject({ hasWebhookSecret: true, webhookUrl: 'https://hooks.example/wa', version: 1 });
    expect(view.apiKeys).toEqual([{ fingerprint: hashApiKey(apiKey).slice(0, 12), createdAt: new Date(now).toISOString(), expiresAt: null }]);
    expect(JSON.stringify(view)).not.toMatch(/EAAG|whsec|gwk_/);
  });

  it('keeps the old key valid for the grace period after a rotation, then only the new one', () => {
    // The directory checks expiry against the clock: rotate "now".
    const at = Date.now();
    const next = generateApiKey();
    const rotated = rotateApiKey(record, next, 60, at);
    const directory = StackDirectory.fromEntries([unsealStack(key, rotated)]);
    expect(directory.byApiKey(next)?.id).toBe('acme');
    expect(directory.byApiKey(apiKey)?.id).toBe('acme');
    expect(rotated.apiKeys[1]?.expiresAt).toBe(at + 60_000);
    const later = applyChange(key, rotated, { mmRouting: false }, at + 61_000);
    expect(later.apiKeys.map((k) => k.hash)).toEqual([hashApiKey(next)]);
  });

  it('drops the old key at once when the grace period is zero', () => {
    const rotated = rotateApiKey(record, generateApiKey(), 0, now);
    expect(rotated.apiKeys).toHaveLength(1);
  });

  it('removes a webhook URL and secret with null and re-encrypts a new token', () => {
    const change = stackChangeSchema.parse({ webhookUrl: null, webhookSecret: null, accessToken: 'EAAG-new' });
    const next = applyChange(key, record, change, now);
    expect(next.webhookUrl).toBeUndefined();
    expect(next.webhookSecret).toBeUndefined();
    expect(next.version).toBe(2);
    expect(unsealStack(key, next).stack.accessToken).toBe('EAAG-new');
  });

  it('refuses unknown fields and empty changes', () => {
    expect(stackChangeSchema.safeParse({}).success).toBe(false);
    expect(stackChangeSchema.safeParse({ webhookURL: 'x' }).success).toBe(false);
    expect(newStackSchema.safeParse({ ...input, extra: 1 }).success).toBe(false);
    expect(newStackSchema.safeParse({ ...input, id: 'a b' }).success).toBe(false);
  });
});
