import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, PHONE, type Running, sleep, startReceiver, startSimulator, TOKEN, WABA } from './test-support.ts';

const body = { type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ann']] } };

describe('template management, business profile and phone number node', () => {
  let sim: Running;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeEach(async () => {
    receiver = await startReceiver();
    sim = await startSimulator({ webhookUrl: receiver.url, templateReviewMs: 20 });
  });
  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  const listed = async (name: string) => (await call(sim.url, 'GET', `/v24.0/${WABA}/message_templates?name=${name}`, { token: TOKEN })).json.data;

  it('creates a template PENDING, approves it after review and says so by webhook', async () => {
    const created = await call(sim.url, 'POST', `/v24.0/${WABA}/message_templates`, {
      token: TOKEN,
      body: { name: 'spring_sale', language: 'en_US', category: 'MARKETING', components: [body] },
    });
    expect(created.status).toBe(200);
    expect(created.json).toEqual({ id: expect.any(String), status: 'PENDING', category: 'MARKETING' });
    const [hook] = await receiver.waitFor(1);
    expect(hook!.json.entry[0].changes[0]).toEqual({
      field: 'message_template_status_update',
      value: {
        event: 'APPROVED',
        message_template_id: Number(created.json.id),
        message_template_name: 'spring_sale',
        message_template_language: 'en-US',
        reason: 'NONE',
        message_template_category: 'MARKETING',
      },
    });
    expect(await listed('spring_sale')).toMatchObject([{ id: created.json.id, status: 'APPROVED' }]);
    const node = await call(sim.url, 'GET', `/v24.0/${created.json.id}?fields=name,category`, { token: TOKEN });
    expect(node.json).toEqual({ name: 'spring_sale', category: 'MARKETING', id: created.json.id });

    const again = await call(sim.url, 'POST', `/v24.0/${WABA}/message_templates`, {
      token: TOKEN,
      body: { name: 'spring_sale', language: 'en_US', category: 'MARKETING', components: [body] },
    });
    expect(again.status).toBe(400);
    expect(again.json.error).toMatchObject({ code: 100, error_subcode: 2388024 });
  });

  it("answers the category Meta's review assigned, not the one asked for", async () => {
    await call(sim.url, 'PUT', '/_sim/template-review', { body: { wabaId: WABA, name: 'sneaky_promo', category: 'MARKETING' } });
    const created = await call(sim.url, 'POST', `/v24.0/${WABA}/message_templates`, {
      token: TOKEN,
      body: { name: 'sneaky_promo', language: 'en_US', category: 'UTILITY', components: [body] },
    });
    expect(created.json).toMatchObject({ status: 'PENDING', category: 'MARKETING' });
  });

  it('refuses a create without components or with an invalid name', async () => {
    const noComponents = await call(sim.url, 'POST', `/v24.0/${WABA}/message_templates`, { token: TOKEN, body: { name: 'x', language: 'en_US', category: 'UTILITY' } });
    expect(noComponents.status).toBe(400);
    expect(noComponents.json.error.code).toBe(131008);
    const badName = await call(sim.url, 'POST', `/v24.0/${WABA}/message_templates`, {
      token: TOKEN,
      body: { name: 'Bad Name', language: 'en_US', category: 'UTILITY', components: [body] },
    });
    expect(badName.json.error.code).toBe(100);
  });

  it('edits a category only when the template is not approved, then reviews it again', async () => {
    const [paused] = await listed('paused_promo');
    const approved = (await listed('order_update'))[0];
    const refused = await call(sim.url, 'POST', `/v24.0/${approved.id}`, { token: TOKEN, body: { category: 'MARKETING' } });
    expect(refused.status).toBe(400);
    expect(refused.json.error.error_data.details).toMatch(/approved template/);

    const edited = await call(sim.url, 'POST', `/v24.0/${paused.id}`, { token: TOKEN, body: { category: 'UTILITY' } });
    expect(edited).toMatchObject({ status: 200, json: { success: true } });
    expect(await listed('paused_promo')).toMatchObject([{ status: 'PENDING', category: 'UTILITY' }]);
    await sleep(60);
    expect(await listed('paused_promo')).toMatchObject([{ status: 'APPROVED', category: 'UTILITY' }]);
    const hooks = await receiver.waitFor(2);
    expect(hooks.map((h) => h.json.entry[0].changes[0])).toEqual([
      {
        field: 'template_category_update',
        value: {
          message_template_id: Number(paused.id),
          message_template_name: 'paused_promo',
          message_template_language: 'en-US',
          previous_category: 'MARKETING',
          new_category: 'UTILITY',
        },
      },
      { field: 'message_template_status_update', value: expect.objectContaining({ event: 'APPROVED', message_template_category: 'UTILITY' }) },
    ]);
  });

  it('deletes by hsm_id one language, by name every language, and emits DELETED', async () => {
    for (const language of ['en_US', 'pt_BR', 'es']) {
      await call(sim.url, 'PUT', '/_sim/templates', { body: { wabaId: WABA, name: 'multi', language, category: 'UTILITY' } });
    }
    const all = await listed('multi');
    const pt = all.find((t: { language: string }) => t.language === 'pt_BR');
    const one = await call(sim.url, 'DELETE', `/v24.0/${WABA}/message_templates?name=multi&hsm_id=${pt.id}`, { token: TOKEN });
    expect(one).toMatchObject({ status: 200, json: { success: true } });
    expect((await listed('multi')).map((t: { language: string }) => t.language).sort()).toEqual(['en_US', 'es']);
    const rest = await call(sim.url, 'DELETE', `/v24.0/${WABA}/message_templates?name=multi`, { token: TOKEN });
    expect(rest.status).toBe(200);
    expect(await listed('multi')).toEqual([]);
    const hooks = await receiver.waitFor(3);
    expect(hooks.map((h) => h.json.entry[0].changes[0].value.event)).toEqual(['DELETED', 'DELETED', 'DELETED']);
    const missing = await call(sim.url, 'DELETE', `/v24.0/${WABA}/message_templates?name=multi`, { token: TOKEN });
    expect(missing.status).toBe(400);
    expect(missing.json.error.code).toBe(100);
  });

  it('reads and sets the business profile', async () => {
    const set = await call(sim.url, 'POST', `/v24.0/${PHONE}/whatsapp_business_profile`, {
      token: TOKEN,
      body: { messaging_product: 'whatsapp', about: 'Fresh succulents', websites: ['https://example.com'], vertical: 'RETAIL' },
    });
    expect(set).toMatchObject({ status: 200, json: { success: true } });
    const read = await call(sim.url, 'GET', `/v24.0/${PHONE}/whatsapp_business_profile?fields=about,websites,vertical`, { token: TOKEN });
    expect(read.json).toEqual({ data: [{ about: 'Fresh succulents', websites: ['https://example.com'], vertical: 'RETAIL', messaging_product: 'whatsapp' }] });
    const bad = await call(sim.url, 'POST', `/v24.0/${PHONE}/whatsapp_business_profile`, { token: TOKEN, body: { about: 'x' } });
    expect(bad.status).toBe(400);
    const wrongToken = await call(sim.url, 'GET', `/v24.0/${PHONE}/whatsapp_business_profile`, { token: 'not-onboarded-token' });
    expect(wrongToken.status).toBe(401);
  });

  it("answers the phone number node's fields", async () => {
    const node = await call(sim.url, 'GET', `/v24.0/${PHONE}?fields=quality_rating,throughput,whatsapp_business_manager_messaging_limit`, { token: TOKEN });
    expect(node).toMatchObject({
      status: 200,
      json: { quality_rating: 'GREEN', throughput: { level: 'STANDARD' }, whatsapp_business_manager_messaging_limit: 'TIER_2K', id: PHONE },
    });
  });
});
