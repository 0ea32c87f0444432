import { describe, expect, it } from 'vitest';
import { forwardableQuery } from './graph-passthrough.ts';
import { withoutToken } from './graph-upstream.ts';
import { ownNode } from './graph-tenancy.ts';
import { afterCreate, afterDelete, afterEdit, afterList, rewritePaging } from './template-cache-updates.ts';

const owner = { wabaId: 'W1', name: 'spring_sale', language: 'en_US' };

describe('what template calls teach the cache', () => {
  it('a create: the id is the WABA’s, and Meta’s category wins over the one asked for', () => {
    expect(afterCreate({ name: 'spring_sale', language: 'en_US', category: 'UTILITY' }, { id: '77', status: 'PENDING', category: 'MARKETING' })).toEqual([
      { kind: 'own', templates: [{ id: '77', name: 'spring_sale', language: 'en_US' }] },
      { kind: 'write', template: { name: 'spring_sale', language: 'en_US' }, category: 'marketing' },
    ]);
    expect(afterCreate({ name: 'x', language: 'en_US', category: 'AUTHENTICATION' }, { id: 78 })).toEqual([
      { kind: 'own', templates: [{ id: '78', name: 'x', language: 'en_US' }] },
      { kind: 'write', template: { name: 'x', language: 'en_US' }, category: 'non_marketing' },
    ]);
    expect(afterCreate({ language: 'en_US', category: 'MARKETING' }, { id: '1' })).toEqual([]);
    expect(afterCreate('not json', { id: '1' })).toEqual([]);
  });

  it('an edit: only a new category teaches, and only when Meta said success', () => {
    expect(afterEdit(owner, { category: 'UTILITY' }, { success: true })).toEqual([
      { kind: 'write', template: { name: 'spring_sale', language: 'en_US' }, category: 'non_marketing' },
    ]);
    expect(afterEdit(owner, { components: [] }, { success: true })).toEqual([]);
    expect(afterEdit(owner, { category: 'UTILITY' }, { success: false })).toEqual([]);
  });

  it('a delete: by id one language, by name every language', () => {
    expect(afterDelete(new URLSearchParams('name=spring_sale&hsm_id=77'), owner)).toEqual([
      { kind: 'evict', template: { name: 'spring_sale', language: 'en_US' } },
      { kind: 'forget', ids: ['77'] },
    ]);
    expect(afterDelete(new URLSearchParams('name=spring_sale'), undefined)).toEqual([{ kind: 'evict_name', name: 'spring_sale' }]);
    expect(afterDelete(new URLSearchParams(''), undefined)).toEqual([]);
  });

  it('a listing: ids of whole entries, categories where Meta gave them', () => {
    expect(
      afterList({
        data: [
          { id: '1', name: 'a', language: 'en_US', category: 'MARKETING' },
          { id: '2', name: 'b', language: 'pt_BR' },
          { id: '3', name: 'c' },
        ],
      }),
    ).toEqual([
      {
        kind: 'own',
        templates: [
          { id: '1', name: 'a', language: 'en_US' },
          { id: '2', name: 'b', language: 'pt_BR' },
        ],
      },
      { kind: 'write', template: { name: 'a', language: 'en_US' }, category: 'marketing' },
    ]);
    expect(afterList({ error: { code: 100 } })).toEqual([]);
  });
});

describe('what reaches Meta and what comes back', () => {
  it('never forwards a credential from the query', () => {
    expect(forwardableQuery(new URLSearchParams('fields=name&access_token=gw-key&appsecret_proof=p&limit=5')).toString()).toBe('fields=name&limit=5');
  });

  it('redacts the token should Meta ever echo it', () => {
    expect(withoutToken(Buffer.from('{"next":"https://x/?access_token=EAAB-secret-token"}'), 'EAAB-secret-token').toString()).toBe('{"next":"https://x/?access_token=[redacted]"}');
    const untouched = Buffer.from('{"a":1}');
    expect(withoutToken(untouched, 'EAAB-secret-token')).toBe(untouched);
  });

  it('points paging links at the gateway, without any access_token', () => {
    const answer = { data: [], paging: { next: 'https://graph.facebook.com/v24.0/W1/message_templates?limit=1&after=QQ&access_token=t', previous: 'https://elsewhere/x' } };
    expect(rewritePaging(answer, 'https://graph.facebook.com/v24.0/', 'http://gw:8080/v23.0/')).toBe(true);
    expect(answer.paging).toEqual({ next: 'http://gw:8080/v23.0/W1/message_templates?limit=1&after=QQ', previous: 'https://elsewhere/x' });
    expect(rewritePaging({ data: [] }, 'https://graph.facebook.com/v24.0/', 'http://gw/v24.0/')).toBe(false);
  });

  it('knows the stack’s own nodes', () => {
    const stack = { phoneNumberId: 'P1', wabaId: 'W1' };
    expect([ownNode(stack, 'P1'), ownNode(stack, 'W1'), ownNode(stack, 'P2')]).toEqual(['phone_number', 'waba', undefined]);
  });
});
