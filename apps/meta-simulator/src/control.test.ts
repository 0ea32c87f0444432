import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, PHONE, type Running, startSimulator, templateSend, TOKEN, WABA } from './test-support.ts';

describe('control API', () => {
  let sim: Running;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  it('counts requests per endpoint, including failed ones, and logs them in order', async () => {
    await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('summer_sale') });
    await call(sim.url, 'POST', `/${PHONE}/messages`, { token: 'wrong', body: templateSend('summer_sale') });
    await call(sim.url, 'POST', `/${PHONE}/marketing_messages`, { token: TOKEN, body: templateSend('order_update') });
    await call(sim.url, 'GET', `/${WABA}/message_templates`, { token: TOKEN });

    expect((await call(sim.url, 'GET', '/_sim/counters')).json).toEqual({
      messages: 2,
      marketing_messages: 1,
      message_templates: 1,
      messages_encrypted: 0,
      waba: 0,
      template_manage: 0,
      template: 0,
      business_profile: 0,
      phone_number: 0,
      media: 0,
    });
    const all = (await call(sim.url, 'GET', '/_sim/requests')).json.requests;
    expect(all.map((r: { endpoint: string; status: number }) => [r.endpoint, r.status])).toEqual([
      ['messages', 200],
      ['messages', 401],
      ['marketing_messages', 400],
      ['message_templates', 200],
    ]);
    expect(all[0]).toMatchObject({
      seq: 1,
      phoneNumberId: PHONE,
      wabaId: WABA,
      body: templateSend('summer_sale'),
      wamid: expect.stringMatching(/^wamid\./),
      at: expect.any(Number),
    });
    expect(all[3]).toMatchObject({ wabaId: WABA });

    const filtered = (await call(sim.url, 'GET', `/_sim/requests?endpoint=messages&phoneNumberId=${PHONE}&since=1`)).json.requests;
    expect(filtered.map((r: { seq: number }) => r.seq)).toEqual([2]);
  });

  it('clears the request log without touching counters', async () => {
    expect((await call(sim.url, 'DELETE', '/_sim/requests')).status).toBe(204);
    expect((await call(sim.url, 'GET', '/_sim/requests')).json.requests).toEqual([]);
    expect((await call(sim.url, 'GET', '/_sim/counters')).json.messages).toBe(2);
  });

  it('upserts accounts so that they can send', async () => {
    await call(sim.url, 'PUT', '/_sim/accounts', { body: { phoneNumberId: '777', wabaId: WABA, accessToken: 'seven' } });
    const res = await call(sim.url, 'POST', `/777/messages`, { token: 'seven', body: templateSend('summer_sale') });
    expect(res.status).toBe(200);
  });

  it('resets templates, accounts, log, counters, faults and webhook config to the seed', async () => {
    await call(sim.url, 'DELETE', `/_sim/templates/${WABA}/summer_sale/en_US`);
    await call(sim.url, 'PUT', '/_sim/faults/messages', { body: { outage: true } });
    await call(sim.url, 'PUT', '/_sim/webhooks', { body: { url: 'http://127.0.0.1:1/hook', failProbability: 0.5 } });

    expect((await call(sim.url, 'POST', '/_sim/reset')).status).toBe(204);

    expect((await call(sim.url, 'GET', '/_sim/counters')).json).toEqual({
      messages: 0,
      marketing_messages: 0,
      message_templates: 0,
      messages_encrypted: 0,
      waba: 0,
      template_manage: 0,
      template: 0,
      business_profile: 0,
      phone_number: 0,
      media: 0,
    });
    expect((await call(sim.url, 'GET', '/_sim/requests')).json.requests).toEqual([]);
    const config = (await call(sim.url, 'GET', '/_sim/webhooks')).json;
    expect(config.url).toBeUndefined();
    expect(config.failProbability).toBe(0);
    expect(config.appSecret).toBeUndefined();
    expect((await call(sim.url, 'POST', `/777/messages`, { token: 'seven', body: templateSend('summer_sale') })).status).toBe(401);
    expect((await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('summer_sale') })).status).toBe(200);
  });

  it('answers invalid control bodies with 400 and unknown control routes with 404', async () => {
    expect((await call(sim.url, 'PUT', '/_sim/templates', { body: { wabaId: WABA, name: 'x', language: 'en', category: 'PROMO' } })).status).toBe(400);
    expect((await call(sim.url, 'GET', '/_sim/nothing')).status).toBe(404);
  });
});
