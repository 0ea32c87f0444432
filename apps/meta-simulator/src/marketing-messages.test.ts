import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, PHONE, type Running, sleep, startSimulator, templateSend, TOKEN, WABA } from './test-support.ts';

describe('MM API sends (POST /{phone_number_id}/marketing_messages)', () => {
  let sim: Running;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  beforeEach(() => sim.sim.reset());
  afterAll(() => sim.close());

  const mm = (body: unknown, token: string | null = TOKEN, phone = PHONE) => call(sim.url, 'POST', `/v24.0/${phone}/marketing_messages`, { token, body });

  it('sends a marketing template with success:true', async () => {
    const res = await mm(templateSend('summer_sale'));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      contacts: [{ input: '+16505551234', wa_id: '16505551234' }],
      messages: [{ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' }],
      messaging_product: 'whatsapp',
      success: true,
    });
  });

  it('rejects a non-template message with code 100', async () => {
    const res = await mm({ messaging_product: 'whatsapp', to: '1555', type: 'text', text: { body: 'hi' } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      message: '(#100) Invalid parameter',
      code: 100,
      error_data: { messaging_product: 'whatsapp', details: 'Message must be a template message.' },
    });
  });

  it('rejects utility and authentication templates with 134100', async () => {
    for (const name of ['order_update', 'login_code']) {
      const res = await mm(templateSend(name));
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe(134100);
      expect(res.json.error.message).toBe('(#134100) Only marketing messages supported');
    }
  });

  it('answers 134101 while a template syncs, then succeeds once syncing ends', async () => {
    await call(sim.url, 'PUT', '/_sim/templates', {
      body: { wabaId: WABA, name: 'fresh_promo', language: 'en_US', category: 'MARKETING', syncingForMs: 300 },
    });
    const syncing = await mm(templateSend('fresh_promo'));
    expect(syncing.status).toBe(400);
    expect(syncing.json.error.code).toBe(134101);
    await sleep(350);
    const ok = await mm(templateSend('fresh_promo'));
    expect(ok.status).toBe(200);
    expect(ok.json.success).toBe(true);
  });

  it('answers 134102 with HTTP 500 for an account that is not MM eligible', async () => {
    const res = await mm(templateSend('summer_sale'), 'not-onboarded-token', '2000000000002');
    expect(res.status).toBe(500);
    expect(res.json.error).toMatchObject({ code: 134102, message: '(#134102) Template unavailable for use' });
  });

  it('answers an unknown template with 404 132001', async () => {
    const res = await mm(templateSend('does_not_exist'));
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 132001, message: '(#132001) Template name does not exist in the translation' });
  });

  it('answers a bad token with 401 code 190', async () => {
    const res = await mm(templateSend('summer_sale'), 'wrong');
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe(190);
  });
});
