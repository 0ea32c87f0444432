import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, PHONE, type Running, startReceiver, startSimulator, statusOf, templateSend, TOKEN, WABA, APP_SECRET } from './test-support.ts';

/** The simulator follows Meta's mid-2026 documentation (simulator README, "Meta's 2026 behaviour"). */
describe('Meta as it is in 2026', () => {
  let sim: Running;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  beforeEach(() => sim.sim.reset());
  afterAll(() => sim.close());

  const post = (path: string, body: unknown) => call(sim.url, 'POST', `/v24.0/${PHONE}/${path}`, { token: TOKEN, body });
  const account = (extra: Record<string, unknown>) =>
    call(sim.url, 'PUT', '/_sim/accounts', { body: { phoneNumberId: PHONE, wabaId: WABA, accessToken: TOKEN, displayPhoneNumber: '15550001111', ...extra } });
  const bsuid = 'US.13491208655302741918';
  const { to: _to, ...noTo } = templateSend('summer_sale');

  it('addresses a send by business-scoped user id: contacts[] carries user_id and no wa_id', async () => {
    for (const path of ['messages', 'marketing_messages']) {
      const res = await post(path, { ...noTo, recipient: bsuid });
      expect(res.status).toBe(200);
      expect(res.json.contacts).toEqual([{ input: bsuid, user_id: bsuid }]);
    }
    const both = await post('messages', { ...templateSend('summer_sale'), recipient: bsuid });
    expect(both.json.contacts[0].wa_id).toBe('16505551234');
  });

  it('marks a known message read and shows a typing indicator; an unknown id is 131009', async () => {
    const { json: inbound } = await call(sim.url, 'POST', '/_sim/inbound', { body: {} });
    const read = await post('messages', { messaging_product: 'whatsapp', status: 'read', message_id: inbound.id });
    expect(read).toMatchObject({ status: 200, json: { success: true } });
    const typing = await post('messages', { messaging_product: 'whatsapp', status: 'read', message_id: inbound.id, typing_indicator: { type: 'text' } });
    expect(typing).toMatchObject({ status: 200, json: { success: true } });
    const unknown = await post('messages', { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.code).toBe(131009);
  });

  it('takes encrypted sends on /messages_encrypted', async () => {
    const res = await post('messages_encrypted', { messaging_product: 'whatsapp', encrypted_contents: 'eyJhbGciOi.x.y.z' });
    expect(res.status).toBe(200);
    expect(res.json.messages[0].id).toMatch(/^wamid\./);
    expect((await post('messages_encrypted', { messaging_product: 'whatsapp' })).status).toBe(400);
  });

  it('takes group sends on /messages only', async () => {
    const group = { ...templateSend('summer_sale', '120363025246125486@g.us'), recipient_type: 'group' };
    expect((await post('messages', group)).status).toBe(200);
    const mm = await post('marketing_messages', group);
    expect(mm.status).toBe(400);
    expect(mm.json.error.code).toBe(100);
  });

  it('refuses a max-price send on /messages with 131061 (131062 for a BSUID), takes it on the MM API', async () => {
    const bid = { bid_spec: { per_message_bid_multiplier: 1.2 } };
    expect((await post('messages', { ...templateSend('summer_sale'), ...bid })).json.error.code).toBe(131061);
    expect((await post('messages', { ...noTo, recipient: bsuid, ...bid })).json.error.code).toBe(131062);
    expect((await post('marketing_messages', { ...templateSend('summer_sale'), ...bid })).status).toBe(200);
    // Other MM-only fields are not Cloud API fields either.
    expect((await post('messages', { ...templateSend('summer_sale'), product_policy: 'STRICT' })).json.error.code).toBe(100);
  });

  it('answers the WABA setting and refuses Cloud marketing with 131063 while it is on', async () => {
    const read = () => call(sim.url, 'GET', `/v24.0/${WABA}?fields=disable_marketing_messages_on_cloud_api`, { token: TOKEN });
    expect((await read()).json).toEqual({ id: WABA, disable_marketing_messages_on_cloud_api: false });
    await account({ cloudMarketingOff: true });
    expect((await read()).json).toEqual({ id: WABA, disable_marketing_messages_on_cloud_api: true });
    const refused = await post('messages', templateSend('summer_sale'));
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe(131063);
    expect((await post('messages', templateSend('order_update'))).status).toBe(200);
    expect((await post('marketing_messages', templateSend('summer_sale'))).status).toBe(200);
  });

  it('refuses marketing to a user at the per-user limit with 131049 on both APIs', async () => {
    await account({ marketingLimited: ['16505551234'] });
    expect((await post('marketing_messages', templateSend('summer_sale'))).json.error.code).toBe(131049);
    expect((await post('messages', templateSend('summer_sale'))).json.error.code).toBe(131049);
    expect((await post('messages', templateSend('order_update'))).status).toBe(200);
  });

  it('answers a bad template parameter with code 100 on both APIs', async () => {
    const bad = { ...templateSend('summer_sale'), template: { name: 'summer_sale', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text' }] }] } };
    for (const path of ['messages', 'marketing_messages']) {
      const res = await post(path, bad);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe(100);
    }
  });
});

describe('2026 status webhooks', () => {
  let sim: Running;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  afterAll(async () => {
    await sim?.close();
    await receiver?.close();
  });

  it('name a BSUID recipient by user id only, price max-price sends with cost, and may arrive out of order', async () => {
    receiver = await startReceiver();
    sim = await startSimulator({ webhookUrl: receiver.url, appSecret: APP_SECRET });
    await call(sim.url, 'PUT', '/_sim/webhooks', {
      body: { inOrder: false, statuses: { sent: { delayMs: 120 }, delivered: { delayMs: 10 }, read: { delayMs: 200 } } },
    });
    const { to: _omit, ...noTo } = templateSend('summer_sale');
    const bsuid = 'US.13491208655302741918';
    await call(sim.url, 'POST', `/${PHONE}/marketing_messages`, { token: TOKEN, body: { ...noTo, recipient: bsuid, bid_spec: { per_message_bid_multiplier: 1.1 } } });
    const received = await receiver.waitFor(3);
    const statuses = received.map((r) => statusOf(r.json));
    expect(statuses.map((s) => s.status)).toEqual(['delivered', 'sent', 'read']);
    for (const s of statuses) {
      expect(s.recipient_id).toBeUndefined();
      expect(s.recipient_user_id).toBe(bsuid);
    }
    expect(received[0]!.json.entry[0].changes[0].value.contacts).toEqual([{ profile: { name: expect.any(String) }, user_id: bsuid }]);
    const [delivered, sent, read] = statuses;
    expect(delivered.pricing).toMatchObject({ category: 'marketing_lite', cost: { amount: expect.any(Number), currency: 'USD' } });
    expect(sent.pricing.cost).toBeUndefined();
    expect(read.pricing.cost).toEqual(delivered.pricing.cost);
  });
});
