import { describe, expect, it } from 'vitest';
import { splitEnvelope, type StackIndex } from './split-envelope.ts';

const stacks: StackIndex = {
  byPhoneNumberId: (id) => ({ '111': { id: 'a' }, '222': { id: 'b' } })[id],
  byWabaId: (id) => (id === 'W1' ? [{ id: 'a' }, { id: 'b' }] : []),
};

const statusChange = (phone: string, wamid: string) => ({
  field: 'messages',
  value: { messaging_product: 'whatsapp', metadata: { phone_number_id: phone }, statuses: [{ id: wamid, status: 'sent' }], future_field: 1 },
});

describe('splitEnvelope', () => {
  it("gives each stack an envelope in Meta's format with only its own changes", () => {
    const envelope = {
      object: 'whatsapp_business_account',
      entry: [{ id: 'W1', time: 5, changes: [statusChange('111', 'w1'), statusChange('222', 'w2'), statusChange('111', 'w3')] }],
    };
    const { parts, totalChanges } = splitEnvelope(envelope, stacks);
    expect(totalChanges).toBe(3);
    expect(parts.map((p) => p.target)).toEqual([{ stackId: 'a' }, { stackId: 'b' }]);
    expect(parts[0]!.envelope).toEqual({
      object: 'whatsapp_business_account',
      entry: [{ id: 'W1', time: 5, changes: [statusChange('111', 'w1'), statusChange('111', 'w3')] }],
    });
    expect(parts[1]!.kinds).toEqual(['messages.statuses']);
  });

  it('keeps a phone number no stack has apart, by that number', () => {
    const { parts } = splitEnvelope({ object: 'whatsapp_business_account', entry: [{ id: 'W9', changes: [statusChange('999', 'w')] }] }, stacks);
    expect(parts.map((p) => p.target)).toEqual([{ phoneNumberId: '999' }]);
  });

  it('sends a template change to every stack of its WABA and an account change of no known WABA nowhere routable', () => {
    const template = { field: 'template_category_update', value: { message_template_name: 't', previous_category: 'UTILITY', new_category: 'MARKETING' } };
    const account = { field: 'account_update', value: { event: 'MM_LITE_TERMS_SIGNED' } };
    const { parts } = splitEnvelope(
      {
        object: 'whatsapp_business_account',
        entry: [
          { id: 'W1', changes: [template] },
          { id: 'BUSINESS', changes: [account] },
        ],
      },
      stacks,
    );
    expect(parts.map((p) => [p.target, p.kinds])).toEqual([
      [{ stackId: 'a' }, ['template_category_update']],
      [{ stackId: 'b' }, ['template_category_update']],
      ['unroutable', ['account_update']],
    ]);
  });

  it('names clicks and inbound messages as kinds', () => {
    const click = { field: 'messages', value: { metadata: { phone_number_id: '111' }, user_actions: [{ action_type: 'marketing_messages_link_click' }] } };
    const inbound = { field: 'messages', value: { metadata: { phone_number_id: '111' }, contacts: [], messages: [{ id: 'x' }] } };
    const { parts } = splitEnvelope({ object: 'whatsapp_business_account', entry: [{ id: 'W1', changes: [click, inbound] }] }, stacks);
    expect(parts[0]!.kinds).toEqual(['messages.user_actions', 'messages.messages']);
  });
});
