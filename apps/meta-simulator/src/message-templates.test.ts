import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Running, startSimulator, TOKEN, WABA } from './test-support.ts';

const BIG_WABA = '3003000000003';
const BIG_TOKEN = 'big-token';

describe('template listing (GET /{waba_id}/message_templates)', () => {
  let sim: Running;
  beforeAll(async () => {
    sim = await startSimulator();
    await call(sim.url, 'PUT', '/_sim/accounts', { body: { phoneNumberId: '3000000000003', wabaId: BIG_WABA, accessToken: BIG_TOKEN } });
    const templates = Array.from({ length: 60 }, (_, i) => ({
      wabaId: BIG_WABA,
      name: `promo_${String(i).padStart(2, '0')}`,
      language: i % 2 ? 'en-US' : 'pt_BR',
      category: 'MARKETING',
    }));
    const bulk = await call(sim.url, 'POST', '/_sim/templates/bulk', { body: { templates } });
    expect(bulk.status).toBe(200);
  });
  afterAll(() => sim.close());

  it('pages through 60 templates with limit 25 by following next', async () => {
    const names: string[] = [];
    const pageSizes: number[] = [];
    let path: string | undefined = `/v24.0/${BIG_WABA}/message_templates?limit=25`;
    while (path) {
      const res = await call(sim.url, 'GET', path, { token: BIG_TOKEN });
      expect(res.status).toBe(200);
      pageSizes.push(res.json.data.length);
      names.push(...res.json.data.map((t: { name: string }) => t.name));
      expect(res.json.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
      const next: string | undefined = res.json.paging.next;
      if (next) expect(next.startsWith(sim.url)).toBe(true);
      path = next;
    }
    expect(pageSizes).toEqual([25, 25, 10]);
    expect(new Set(names).size).toBe(60);
  });

  it('returns name, language, status, category and id by default, with stable numeric ids', async () => {
    const first = await call(sim.url, 'GET', `/${WABA}/message_templates`, { token: TOKEN });
    const again = await call(sim.url, 'GET', `/${WABA}/message_templates`, { token: TOKEN });
    expect(first.json.data[0]).toEqual({ name: 'summer_sale', language: 'en_US', status: 'APPROVED', category: 'MARKETING', id: expect.stringMatching(/^\d+$/) });
    expect(first.json.data.map((t: { id: string }) => t.id)).toEqual(again.json.data.map((t: { id: string }) => t.id));
    expect(first.json.paging.next).toBeUndefined();
  });

  it('returns only the requested fields plus id', async () => {
    const res = await call(sim.url, 'GET', `/${WABA}/message_templates?fields=name,category`, { token: TOKEN });
    for (const template of res.json.data) expect(Object.keys(template)).toEqual(['name', 'category', 'id']);
  });

  it('filters by name and by status case-insensitively', async () => {
    const byName = await call(sim.url, 'GET', `/${WABA}/message_templates?name=order_update`, { token: TOKEN });
    expect(byName.json.data.map((t: { name: string }) => t.name)).toEqual(['order_update']);
    const paused = await call(sim.url, 'GET', `/${WABA}/message_templates?status=paused`, { token: TOKEN });
    expect(paused.json.data.map((t: { name: string }) => t.name)).toEqual(['paused_promo']);
  });

  it('stores every spelling of a language under one normalised key', async () => {
    await call(sim.url, 'PUT', '/_sim/templates', { body: { wabaId: WABA, name: 'lang_test', language: 'EN-us', category: 'UTILITY' } });
    await call(sim.url, 'PUT', '/_sim/templates', { body: { wabaId: WABA, name: 'lang_test', language: 'en_US', category: 'MARKETING' } });
    const res = await call(sim.url, 'GET', `/${WABA}/message_templates?name=lang_test`, { token: TOKEN });
    expect(res.json.data).toEqual([expect.objectContaining({ language: 'en_US', category: 'MARKETING' })]);
    const del = await call(sim.url, 'DELETE', `/_sim/templates/${WABA}/lang_test/en-us`);
    expect(del.status).toBe(204);
  });

  it('rejects an unknown WABA with code 100 and a token of another WABA with 190', async () => {
    const unknown = await call(sim.url, 'GET', `/999/message_templates`, { token: TOKEN });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ code: 100, error_subcode: 33 });
    const foreign = await call(sim.url, 'GET', `/${WABA}/message_templates`, { token: BIG_TOKEN });
    expect(foreign.status).toBe(401);
    expect(foreign.json.error.code).toBe(190);
  });
});
