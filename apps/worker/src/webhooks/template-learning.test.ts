import { describe, expect, it } from 'vitest';
import { categoryActions, templateIdsOf } from './template-learning.ts';

const envelopeOf = (field: string, value: object) => ({ object: 'whatsapp_business_account', entry: [{ id: 'W', time: 1, changes: [{ field, value }] }] });
const ids = { message_template_id: 1, message_template_name: 'promo', message_template_language: 'en-US' };
const template = { name: 'promo', language: 'en-US' };

describe('categoryActions', () => {
  it('learns the new category of a completed template_category_update', () => {
    expect(categoryActions(envelopeOf('template_category_update', { ...ids, previous_category: 'MARKETING', new_category: 'UTILITY' }))).toEqual([
      { kind: 'write', wabaId: 'W', template, category: 'non_marketing' },
    ]);
    expect(categoryActions(envelopeOf('template_category_update', { ...ids, previous_category: 'UTILITY', new_category: 'MARKETING' }))).toEqual([
      { kind: 'write', wabaId: 'W', template, category: 'marketing' },
    ]);
  });

  it('ignores the impending notice, whose correct_category is only announced', () => {
    const impending = { ...ids, new_category: 'UTILITY', correct_category: 'MARKETING', category_update_timestamp: 2 };
    expect(categoryActions(envelopeOf('template_category_update', impending))).toEqual([]);
  });

  it.each([
    ['APPROVED', 'MARKETING', { kind: 'write', wabaId: 'W', template, category: 'marketing' }],
    ['REINSTATED', 'UTILITY', { kind: 'write', wabaId: 'W', template, category: 'non_marketing' }],
    ['PAUSED', 'MARKETING', { kind: 'evict', wabaId: 'W', template }],
    ['DISABLED', 'MARKETING', { kind: 'evict', wabaId: 'W', template }],
    ['DELETED', 'MARKETING', { kind: 'evict', wabaId: 'W', template }],
    ['PENDING_DELETION', 'MARKETING', { kind: 'evict', wabaId: 'W', template }],
    ['REJECTED', 'MARKETING', { kind: 'evict', wabaId: 'W', template }],
  ])('turns a status update %s (%s) into a cache action', (event, category, action) => {
    expect(categoryActions(envelopeOf('message_template_status_update', { ...ids, event, message_template_category: category }))).toEqual([action]);
  });

  it('does nothing for notices that do not change sendability, or for other fields', () => {
    expect(categoryActions(envelopeOf('message_template_status_update', { ...ids, event: 'FLAGGED' }))).toEqual([]);
    expect(categoryActions(envelopeOf('message_template_status_update', { ...ids, event: 'APPROVED' }))).toEqual([]);
    expect(categoryActions(envelopeOf('messages', { ...ids, previous_category: 'A', new_category: 'B' }))).toEqual([]);
  });
});

describe('templateIdsOf', () => {
  it('names the template ids of template webhooks with their WABA, deleted ones marked', () => {
    expect(templateIdsOf(envelopeOf('message_template_status_update', { event: 'APPROVED', ...ids, message_template_category: 'MARKETING' }))).toEqual([
      { wabaId: 'W', id: '1', name: 'promo', language: 'en-US', deleted: false },
    ]);
    expect(templateIdsOf(envelopeOf('template_category_update', { ...ids, previous_category: 'MARKETING', new_category: 'UTILITY' }))).toEqual([
      { wabaId: 'W', id: '1', name: 'promo', language: 'en-US', deleted: false },
    ]);
    expect(templateIdsOf(envelopeOf('message_template_status_update', { event: 'DELETED', ...ids }))).toEqual([
      { wabaId: 'W', id: '1', name: 'promo', language: 'en-US', deleted: true },
    ]);
  });

  it('ignores other fields and webhooks without an id', () => {
    expect(templateIdsOf(envelopeOf('messages', { ...ids }))).toEqual([]);
    expect(templateIdsOf(envelopeOf('message_template_status_update', { event: 'APPROVED', message_template_name: 'promo', message_template_language: 'en-US' }))).toEqual([]);
  });
});
