import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, PHONE, type Running, startReceiver, startSimulator, templateSend, TOKEN, WABA } from './test-support.ts';

describe('template lifecycle webhooks', () => {
  let sim: Running;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeEach(async () => {
    receiver = await startReceiver();
    sim = await startSimulator({ webhookUrl: receiver.url });
  });
  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  const templateId = async (name: string) => {
    const res = await call(sim.url, 'GET', `/${WABA}/message_templates?name=${name}`, { token: TOKEN });
    return Number(res.json.data[0].id);
  };
  const categoryOf = async (name: string) => (await call(sim.url, 'GET', `/${WABA}/message_templates?name=${name}`, { token: TOKEN })).json.data[0].category;

  it('announces an impending category change without changing anything', async () => {
    const id = await templateId('order_update');
    const res = await call(sim.url, 'POST', '/_sim/template-category-change', {
      body: { wabaId: WABA, name: 'order_update', language: 'en-US', newCategory: 'MARKETING', phase: 'impending' },
    });
    expect(res.status).toBe(200);
    const [hook] = await receiver.waitFor(1);
    const entry = hook!.json.entry[0];
    expect(entry.id).toBe(WABA);
    expect(entry.time).toEqual(expect.any(Number));
    expect(entry.changes[0].field).toBe('template_category_update');
    expect(entry.changes[0].value).toEqual({
      message_template_id: id,
      message_template_name: 'order_update',
      message_template_language: 'en-US',
      new_category: 'UTILITY',
      correct_category: 'MARKETING',
      category_update_timestamp: expect.any(Number),
    });
    expect(await categoryOf('order_update')).toBe('UTILITY');
  });

  it('applies a completed category change and reports previous and new category', async () => {
    await call(sim.url, 'POST', '/_sim/template-category-change', {
      body: { wabaId: WABA, name: 'order_update', language: 'en_US', newCategory: 'MARKETING' },
    });
    const [hook] = await receiver.waitFor(1);
    expect(hook!.json.entry[0].changes[0].value).toEqual({
      message_template_id: await templateId('order_update'),
      message_template_name: 'order_update',
      message_template_language: 'en-US',
      previous_category: 'UTILITY',
      new_category: 'MARKETING',
    });
    expect(await categoryOf('order_update')).toBe('MARKETING');
    const mm = await call(sim.url, 'POST', `/${PHONE}/marketing_messages`, { token: TOKEN, body: templateSend('order_update') });
    expect(mm.status).toBe(200);
  });

  it('pauses a template with a status update webhook so sends fail with 132015', async () => {
    await call(sim.url, 'PUT', '/_sim/webhooks', { body: { statuses: { sent: { probability: 0 }, delivered: { probability: 0 }, read: { probability: 0 } } } });
    await call(sim.url, 'POST', '/_sim/template-status-change', { body: { wabaId: WABA, name: 'summer_sale', language: 'en_US', event: 'PAUSED' } });
    const [hook] = await receiver.waitFor(1);
    expect(hook!.json.entry[0].changes[0]).toEqual({
      field: 'message_template_status_update',
      value: {
        event: 'PAUSED',
        message_template_id: await templateId('summer_sale'),
        message_template_name: 'summer_sale',
        message_template_language: 'en-US',
        reason: 'NONE',
        message_template_category: 'MARKETING',
      },
    });
    const send = await call(sim.url, 'POST', `/${PHONE}/messages`, { token: TOKEN, body: templateSend('summer_sale') });
    expect(send.json.error.code).toBe(132015);
  });
});
