import { describe, expect, it } from 'vitest';
import { webhookDeliveryJobId, webhookInboundJobId } from './webhook-jobs.ts';
import { redisKeys } from './redis-keys.ts';

describe('webhook job ids', () => {
  it('gives the same body the same inbound id, and another body another id', () => {
    expect(webhookInboundJobId('{"a":1}')).toBe(webhookInboundJobId(Buffer.from('{"a":1}')));
    expect(webhookInboundJobId('{"a":1}')).not.toBe(webhookInboundJobId('{"a":2}'));
    expect(webhookInboundJobId('x')).toMatch(/^in_[0-9a-f]{40}$/);
  });

  it('derives one delivery id per inbound job and target, never with a colon or as an integer', () => {
    expect(webhookDeliveryJobId('in_1', { stackId: 'acme' })).toBe('in_1_s_acme');
    expect(webhookDeliveryJobId('in_1', { phoneNumberId: '123' })).toBe('in_1_p_123');
    expect(webhookDeliveryJobId('in_1', 'unroutable')).toBe('in_1_unroutable');
    const odd = webhookDeliveryJobId('in_1', { stackId: 'a:b/c' });
    expect(odd).toMatch(/^in_1_s_h[0-9a-f]{24}$/);
    expect(odd).toBe(webhookDeliveryJobId('in_1', { stackId: 'a:b/c' }));
  });

  it('keeps the endpoint-gone mark under the prefix', () => {
    expect(redisKeys('{gw}').webhookEndpointGone('acme')).toBe('{gw}:wh-gone:acme');
  });
});
