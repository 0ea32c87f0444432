import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, PHONE, type Running, startSimulator, templateSend, TOKEN } from './test-support.ts';

describe('Cloud API sends (POST /{phone_number_id}/messages)', () => {
  let sim: Running;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  it('answers a template send with a wamid and message_status accepted', async () => {
    const res = await call(sim.url, 'POST', `/v24.0/${PHONE}/messages`, { token: TOKEN, body: templateSend('order_update') });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '+16505551234', wa_id: '16505551234' }],
      messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9_-]+$/), message_status: 'accepted' }],
    });
  });

  it('accepts the route without a version segment and gives every message its own wamid', async () => {
    const a = await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('summer_sale') });
    const b = await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('summer_sale') });
    expect(a.status).toBe(200);
    expect(a.json.messages[0].id).not.toBe(b.json.messages[0].id);
  });

  it('accepts a text message without message_status', async () => {
    const body = { messaging_product: 'whatsapp', to: '447700900123', type: 'text', text: { body: 'hi' } };
    const res = await call(sim.url, 'POST', `/v23.0/${PHONE}/messages`, { token: TOKEN, body });
    expect(res.status).toBe(200);
    expect(res.json.messages[0]).toEqual({ id: expect.stringMatching(/^wamid\./) });
  });

  it('rejects a wrong messaging_product, and a send with neither to nor recipient, with code 100', async () => {
    const bad = await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: { ...templateSend('summer_sale'), messaging_product: 'sms' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe(100);
    const { to: _to, ...noTo } = templateSend('summer_sale');
    const missing = await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: noTo });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatchObject({
      message: '(#100) Invalid parameter',
      type: 'OAuthException',
      code: 100,
      error_data: { messaging_product: 'whatsapp', details: 'The parameter to is required.' },
    });
    expect(missing.json.error.fbtrace_id).toHaveLength(23);
  });

  it('answers unknown templates with 404 132001 and paused ones with 400 132015', async () => {
    const unknown = await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('nope') });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe(132001);
    const paused = await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('paused_promo') });
    expect(paused.status).toBe(400);
    expect(paused.json.error.code).toBe(132015);
  });

  it('finds a template whatever the spelling of its language code', async () => {
    for (const code of ['en_US', 'en-US', 'EN-us', 'en_us']) {
      const res = await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('summer_sale', '+1555', code) });
      expect(res.status, code).toBe(200);
    }
  });

  it('answers an unknown phone number id with code 100 subcode 33', async () => {
    const res = await call(sim.url, 'POST', `/v24.0/999/messages`, { token: TOKEN, body: templateSend('summer_sale') });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 100, error_subcode: 33 });
    expect(res.json.error.message).toBe(
      "Unsupported post request. Object with ID '999' does not exist, cannot be loaded due to missing permissions, or does not support this operation",
    );
  });

  it('answers a missing or foreign token with 401 code 190', async () => {
    for (const token of [null, 'bogus', 'not-onboarded-token']) {
      const res = await call(sim.url, 'POST', `/${PHONE}/messages`, { token, body: templateSend('summer_sale') });
      expect(res.status).toBe(401);
      expect(res.json.error).toMatchObject({ code: 190, type: 'OAuthException', message: 'Invalid OAuth access token - Cannot parse access token' });
    }
  });

  it('rejects a malformed version segment as an unknown path', async () => {
    const res = await call(sim.url, 'POST', `/v24/${PHONE}/messages`, { token: TOKEN, body: templateSend('summer_sale') });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(2500);
  });

  it('accepts bodies near 1 MB', async () => {
    const body = { messaging_product: 'whatsapp', to: '1555', type: 'text', text: { body: 'x'.repeat(900_000) } };
    const res = await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body });
    expect(res.status).toBe(200);
  });
});
