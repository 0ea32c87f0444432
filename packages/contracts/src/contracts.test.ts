import { describe, expect, it } from 'vitest';
import { messagePayloadSchema, describePayloadIssue, templateOf, isStatusUpdate, isIndividual, hasMaxPrice, withoutMmOnlyFields } from './message-payload.ts';
import { normaliseLanguage } from './language.ts';
import { redisKeys } from './redis-keys.ts';
import { gatewayErrors } from './meta-error.ts';
import { batchJobIdOf, sendItemId } from './send-job.ts';
import { JOBS } from './jobs.ts';

describe('normaliseLanguage', () => {
  it.each([
    ['en_US', 'en_US'],
    ['en-US', 'en_US'],
    ['EN-us', 'en_US'],
    ['pt_BR', 'pt_BR'],
    ['de', 'de'],
    ['zh_Hant_TW', 'zh_HANT_TW'],
  ])('maps %s to %s', (input, expected) => {
    expect(normaliseLanguage(input)).toBe(expected);
  });
});

describe('redisKeys', () => {
  const keys = redisKeys('{gw}');
  it('gives en_US and en-US the same category key', () => {
    expect(keys.category('waba1', 'sale', 'en-US')).toBe(keys.category('waba1', 'sale', 'en_US'));
    expect(keys.category('waba1', 'sale', 'en_US')).toBe('{gw}:cat:waba1:en_US:sale');
  });
  it('keeps every key under the prefix', () => {
    expect(keys.replyChannel('abc')).toBe('{gw}:reply:abc');
    expect(keys.ledger('wamid.X')).toBe('{gw}:ledger:wamid.X');
  });
});

describe('messagePayloadSchema', () => {
  const template = { messaging_product: 'whatsapp', to: '+1555', type: 'template', template: { name: 'a', language: { code: 'en_US' } } };

  it('accepts a template message and keeps unknown fields', () => {
    const parsed = messagePayloadSchema.parse({ ...template, biz_opaque_callback_data: 'x' });
    expect(parsed.biz_opaque_callback_data).toBe('x');
    expect(templateOf(parsed)).toEqual({ name: 'a', language: 'en_US' });
  });

  it('accepts a text message and finds no template in it', () => {
    const parsed = messagePayloadSchema.parse({ messaging_product: 'whatsapp', to: '1', type: 'text', text: { body: 'hi' } });
    expect(templateOf(parsed)).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>]>([
    ['mark-as-read (no to, no type)', { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.A' }],
    ['typing indicator', { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.A', typing_indicator: { type: 'text' } }],
    ['a BSUID recipient instead of to', { ...template, to: undefined, recipient: 'US.13491208655302741918' }],
    ['a phone number as a JSON number', { ...template, to: 15550001234 }],
    ['a group send', { ...template, recipient_type: 'group', to: '120363025246125486@g.us' }],
    ['future fields', { ...template, bid_spec: { per_message_bid_multiplier: 1.2 }, some_future_field: { a: 1 } }],
  ])('accepts %s and keeps every field', (_name, payload) => {
    const parsed = messagePayloadSchema.parse(payload);
    for (const [key, value] of Object.entries(payload)) expect(parsed[key]).toEqual(value);
  });

  it('tells calls, groups and max-price sends apart', () => {
    expect(isStatusUpdate({ status: 'read', message_id: 'w' })).toBe(true);
    expect(isStatusUpdate(template)).toBe(false);
    expect(isIndividual(template)).toBe(true);
    expect(isIndividual({ ...template, recipient_type: 'individual' })).toBe(true);
    expect(isIndividual({ ...template, recipient_type: 'group' })).toBe(false);
    expect(hasMaxPrice({ ...template, bid_spec: { per_message_bid_multiplier: 1 } })).toBe(true);
    expect(hasMaxPrice(template)).toBe(false);
  });

  it('removes MM-only fields for a Cloud API send without touching the original', () => {
    const mm = { ...template, product_policy: 'STRICT', message_activity_sharing: true, bid_spec: { per_message_bid_multiplier: 1.1 }, biz_opaque_callback_data: 'k' };
    expect(withoutMmOnlyFields(mm)).toEqual({ ...template, biz_opaque_callback_data: 'k' });
    expect(mm.product_policy).toBe('STRICT');
    expect(withoutMmOnlyFields(template)).toBe(template);
  });

  it.each([
    [{ messaging_product: 'whatsapp', status: 'read' }, 'message_id'],
    [{ ...template, messaging_product: 'sms' }, 'messaging_product'],
    [{ ...template, to: undefined }, 'to'],
    [{ ...template, template: undefined }, 'template'],
    [{ ...template, template: { name: 'a', language: {} } }, 'template.language.code'],
  ])('names the bad field (%#)', (payload, field) => {
    const result = messagePayloadSchema.safeParse(payload);
    expect(result.success).toBe(false);
    if (!result.success) expect(describePayloadIssue(result.error)).toContain(`"${field}"`);
  });
});

describe('gatewayErrors', () => {
  it("uses Meta's envelope with a numeric code and a trace id", () => {
    const { status, body } = gatewayErrors.unauthenticated();
    expect(status).toBe(401);
    expect(body.error).toMatchObject({ code: 190, type: 'OAuthException' });
    expect(body.error.message).toMatch(/^\(#190\) /);
    expect(body.error.fbtrace_id).toMatch(/^[\w-]{16}$/);
  });
});

describe('send-batch ids and retention', () => {
  it('finds the queue job of any send from its id', () => {
    const job = 'a1b2c3d4-0000-4000-8000-000000000000';
    expect(sendItemId(job, 0)).toBe(`${job}.0`);
    expect(batchJobIdOf(sendItemId(job, 17))).toBe(job);
    // An id without an item part (a record written before send-batch jobs) is the job itself.
    expect(batchJobIdOf(job)).toBe(job);
  });

  it('never retries a send and keeps finished jobs twice the ingress wait, at least a minute', () => {
    expect(JOBS.sendBatch.options({ sendTimeoutMs: 30_000 })).toMatchObject({ attempts: 1, removeOnComplete: { age: 60 } });
    expect(JOBS.sendBatch.options({ sendTimeoutMs: 120_000 })).toMatchObject({ removeOnComplete: { age: 240 } });
    expect(JOBS.sendBatch.options({ sendTimeoutMs: 1_000 })).toMatchObject({ removeOnComplete: { age: 60 } });
  });
});
