import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_SECRET, call, PHONE, type Running, sleep, startReceiver, startSimulator, statusOf, templateSend, TOKEN, WABA } from './test-support.ts';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
const FAST = { statuses: { sent: { delayMs: 10 }, delivered: { delayMs: 20 }, read: { delayMs: 30 } } };
const sign = (raw: Buffer) => `sha256=${createHmac('sha256', APP_SECRET).update(raw).digest('hex')}`;

describe('webhooks the simulator sends', () => {
  let sim: Running;
  let receiver: Receiver;
  const start = async (answer?: (n: number) => number, config: object = FAST) => {
    receiver = await startReceiver(answer);
    sim = await startSimulator({ webhookUrl: receiver.url });
    await call(sim.url, 'PUT', '/_sim/webhooks', { body: config });
  };
  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  it('sends signed sent, delivered and read statuses with marketing_lite pricing for an MM send, and no pricing on read', async () => {
    await start();
    const res = await call(sim.url, 'POST', `/v24.0/${PHONE}/marketing_messages`, { token: TOKEN, body: templateSend('summer_sale') });
    const wamid = res.json.messages[0].id;
    const received = await receiver.waitFor(3);

    for (const hook of received) {
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['x-hub-signature-256']).toBe(sign(hook.raw));
      expect(hook.json.object).toBe('whatsapp_business_account');
      expect(hook.json.entry[0].id).toBe(WABA);
      expect(hook.json.entry[0].changes[0].field).toBe('messages');
      expect(hook.json.entry[0].changes[0].value.metadata).toEqual({ display_phone_number: '15550001111', phone_number_id: PHONE });
    }
    const [sent, delivered, read] = received.map((r) => statusOf(r.json));
    expect(sent).toEqual({
      id: wamid,
      status: 'sent',
      timestamp: expect.stringMatching(/^\d+$/),
      recipient_id: '16505551234',
      recipient_user_id: expect.stringMatching(/^US\.\d{20}$/),
      pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing_lite' },
    });
    // 2026: statuses carry the recipient in value.contacts[] with its business-scoped user id.
    expect(received[0]!.json.entry[0].changes[0].value.contacts).toEqual([{ profile: { name: expect.any(String) }, wa_id: '16505551234', user_id: sent.recipient_user_id }]);
    expect(delivered.status).toBe('delivered');
    expect(delivered.pricing.category).toBe('marketing_lite');
    expect(read.status).toBe('read');
    expect(read.pricing).toBeUndefined();
    expect(read.conversation).toBeUndefined();
  });

  it('prices a Cloud utility template send as utility', async () => {
    await start();
    await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('order_update') });
    const received = await receiver.waitFor(3);
    const statuses = received.map((r) => statusOf(r.json));
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    expect(statuses.map((s) => s.pricing?.category)).toEqual(['utility', 'utility', undefined]);
  });

  it('retries a webhook the receiver answered with 500, with the same body and signature', async () => {
    await start((n) => (n === 1 ? 500 : 200), { ...FAST, statuses: { ...FAST.statuses, delivered: { probability: 0 }, read: { probability: 0 } }, retryScheduleMs: [50] });
    await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('order_update') });
    const [first, second] = await receiver.waitFor(2);
    expect(second!.raw.equals(first!.raw)).toBe(true);
    expect(second!.headers['x-hub-signature-256']).toBe(first!.headers['x-hub-signature-256']);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(45);

    const log = (await call(sim.url, 'GET', '/_sim/webhooks/log')).json.deliveries;
    expect(log).toEqual([expect.objectContaining({ field: 'messages', kind: 'sent', status: 'delivered', attempts: 2, lastStatus: 200, deliveredAt: expect.any(Number) })]);
  });

  it('gives up after the retry schedule is exhausted', async () => {
    await start(() => 503, { ...FAST, statuses: { delivered: { probability: 0 }, read: { probability: 0 } }, retryScheduleMs: [20, 20] });
    await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('order_update') });
    await receiver.waitFor(3);
    await sleep(50);
    const log = (await call(sim.url, 'GET', '/_sim/webhooks/log')).json.deliveries;
    expect(log).toEqual([expect.objectContaining({ status: 'failed', attempts: 3, lastStatus: 503 })]);
    expect(receiver.received).toHaveLength(3);
  });

  it('sends a failed status with errors instead of delivered and read when failProbability is 1', async () => {
    await start(undefined, { ...FAST, failProbability: 1 });
    await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('summer_sale') });
    const received = await receiver.waitFor(2);
    await sleep(60);
    expect(receiver.received).toHaveLength(2);
    const failed = statusOf(received[1]!.json);
    expect(failed.status).toBe('failed');
    expect(failed.errors[0]).toMatchObject({ code: 131049, error_data: { details: expect.any(String) }, href: expect.stringContaining('error-codes') });
  });

  it('sends a link click event for an MM send when clickProbability is 1', async () => {
    await start(undefined, { ...FAST, clickProbability: 1, clickDelayMs: 40 });
    await call(sim.url, 'POST', `/${PHONE}/marketing_messages`, { token: TOKEN, body: templateSend('summer_sale') });
    const received = await receiver.waitFor(4);
    const value = received[3]!.json.entry[0].changes[0].value;
    expect(value.statuses).toBeUndefined();
    expect(value.user_actions[0]).toMatchObject({
      action_type: 'marketing_messages_link_click',
      timestamp: expect.any(Number),
      marketing_messages_link_click_data: { click_component: 'cta', product_id: '', click_id: expect.any(String), tracking_token: expect.any(String) },
    });
  });

  it('posts an arbitrary payload once with a valid, invalid or missing signature', async () => {
    await start((n) => (n === 1 ? 200 : 403));
    const payload = { object: 'whatsapp_business_account', entry: [] };
    expect((await call(sim.url, 'POST', '/_sim/webhooks/send', { body: { payload } })).json).toEqual({ status: 200 });
    expect((await call(sim.url, 'POST', '/_sim/webhooks/send', { body: { payload, signature: 'invalid' } })).json).toEqual({ status: 403 });
    await call(sim.url, 'POST', '/_sim/webhooks/send', { body: { payload, signature: 'missing' } });
    const [valid, invalid, missing] = receiver.received;
    expect(valid!.headers['x-hub-signature-256']).toBe(sign(valid!.raw));
    expect(invalid!.headers['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(invalid!.headers['x-hub-signature-256']).not.toBe(sign(invalid!.raw));
    expect(missing!.headers['x-hub-signature-256']).toBeUndefined();
  });

  it('drops pending webhooks on reset', async () => {
    await start(undefined, { statuses: { sent: { delayMs: 100 }, delivered: { delayMs: 150 }, read: { delayMs: 200 } } });
    await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('summer_sale') });
    await call(sim.url, 'POST', '/_sim/reset');
    await sleep(300);
    expect(receiver.received).toHaveLength(0);
  });
});
