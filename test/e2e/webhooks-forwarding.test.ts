import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { redisKeys } from '@gw/contracts';
import { makeStack, sendVia, startGateway, startSimulator, templateMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { callsFor, waitFor } from '../support/assertions.ts';
import { verifySignatures, WebhookReceiver } from '../support/webhook-receiver.ts';
import { envelope, sentStatus, statusChange, wamid, webhookEnv, webhookSecrets } from '../support/webhooks.ts';

const secrets = webhookSecrets();
let mmReceiver: WebhookReceiver;
let cloudReceiver: WebhookReceiver;
let mmStack: ReturnType<typeof makeStack>;
let cloudStack: ReturnType<typeof makeStack>;
let sim: Simulator;
let gateway: Gateway;
let redis: Redis;

beforeAll(async () => {
  mmReceiver = await WebhookReceiver.start('mm-stack-secret');
  cloudReceiver = await WebhookReceiver.start('cloud-stack-secret');
  mmStack = makeStack({ webhookUrl: mmReceiver.url, webhookSecret: mmReceiver.secret });
  // Routing off: marketing templates go via the Cloud API and keep Meta's `marketing` pricing.
  cloudStack = makeStack({ webhookUrl: cloudReceiver.url, webhookSecret: cloudReceiver.secret, mmRouting: false });
  sim = await startSimulator();
  for (const s of [mmStack, cloudStack]) await sim.control.account(s);
  await sim.control.templates([
    { wabaId: mmStack.wabaId, name: 'wh_promo', language: 'en_US', category: 'MARKETING' },
    { wabaId: mmStack.wabaId, name: 'wh_flip', language: 'en_US', category: 'MARKETING' },
    { wabaId: mmStack.wabaId, name: 'wh_paused', language: 'en_US', category: 'MARKETING' },
    { wabaId: cloudStack.wabaId, name: 'wh_cloud_promo', language: 'en_US', category: 'MARKETING' },
    { wabaId: cloudStack.wabaId, name: 'wh_cloud_util', language: 'en_US', category: 'UTILITY' },
  ]);
  gateway = await startGateway({ stacks: [mmStack, cloudStack], metaUrl: sim.url, env: webhookEnv(secrets) });
  redis = new Redis(gateway.redisUrl);
  await sim.control.webhooks({
    url: `${gateway.url}/webhooks/meta`,
    appSecret: secrets.appSecret,
    clickProbability: 1,
    statuses: { sent: { delayMs: 20 }, delivered: { delayMs: 60 }, read: { delayMs: 100 } },
  });
});

afterAll(async () => {
  redis?.disconnect();
  await gateway?.stop();
  await sim?.stop();
  await mmReceiver?.close();
  await cloudReceiver?.close();
});

const statusesFor = (receiver: WebhookReceiver, id: string) => receiver.statuses().filter((s) => s.id === id);
const wamidOf = (answer: { body: any }) => answer.body.messages[0].id as string;

describe('status webhooks of MM sends', () => {
  let id: string;

  beforeAll(async () => {
    const answer = await sendVia(gateway, mmStack, templateMessage('wh_promo'));
    expect(answer.headers['x-gateway-route']).toBe('marketing_messages');
    id = wamidOf(answer);
    await waitFor('sent, delivered and read', async () => statusesFor(mmReceiver, id).length >= 3);
  });

  it('reach the client as sent, delivered and read, each priced marketing_lite', () => {
    const statuses = statusesFor(mmReceiver, id);
    expect(statuses.map((s) => s.status).sort()).toEqual(['delivered', 'read', 'sent']);
    for (const status of statuses) expect(status.pricing.category).toBe('marketing_lite');
  });

  it("keep Meta's pricing where Meta sent it and enrich a read that had none with the category alone", () => {
    const byStatus = Object.fromEntries(statusesFor(mmReceiver, id).map((s) => [s.status, s]));
    expect(byStatus.sent!.pricing).toEqual({ billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing_lite' });
    expect(byStatus.read!.pricing).toEqual({ category: 'marketing_lite' });
  });

  it("are signed with the stack's secret both ways, with a distinct webhook-id per delivery", () => {
    const requests = mmReceiver.delivered.filter((r) => r.raw.includes(id));
    for (const r of requests) expect(verifySignatures(r, mmReceiver.secret)).toEqual({ hub: true, standard: true });
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(requests.length);
    expect(Math.abs(Number(requests[0]!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('reach only their own stack', () => {
    expect(cloudReceiver.requests.some((r) => r.raw.includes(id))).toBe(false);
  });

  it("are followed by a click event that reaches the sending stack's endpoint and no other", async () => {
    const click = await waitFor('a click', async () => mmReceiver.changes().find((c) => c.value?.user_actions?.[0]?.action_type === 'marketing_messages_link_click'));
    expect(click.value.metadata.phone_number_id).toBe(mmStack.phoneNumberId);
    expect(click.value.user_actions[0].marketing_messages_link_click_data.click_id).toEqual(expect.any(String));
    expect(cloudReceiver.changes().some((c) => c.value?.user_actions)).toBe(false);
  });
});

describe('status webhooks of Cloud sends', () => {
  it.each([
    ['wh_cloud_promo', 'marketing'],
    ['wh_cloud_util', 'utility'],
  ])('keep the category Meta gave %s (%s), and a read stays without pricing', async (template, category) => {
    const answer = await sendVia(gateway, cloudStack, templateMessage(template));
    expect(answer.headers['x-gateway-route']).toBe('cloud_api');
    const id = wamidOf(answer);
    await waitFor('sent, delivered and read', async () => statusesFor(cloudReceiver, id).length >= 3);
    const byStatus = Object.fromEntries(statusesFor(cloudReceiver, id).map((s) => [s.status, s]));
    expect(byStatus.sent!.pricing.category).toBe(category);
    expect(byStatus.delivered!.pricing.category).toBe(category);
    expect(byStatus.read!.pricing).toBeUndefined();
    for (const r of cloudReceiver.delivered.filter((x) => x.raw.includes(id))) {
      expect(verifySignatures(r, cloudReceiver.secret)).toEqual({ hub: true, standard: true });
    }
  });
});

describe('an envelope with changes for two stacks', () => {
  it('is split, each stack getting its own changes untouched, failed errors[] and unknown fields included', async () => {
    const failed = {
      id: wamid(),
      status: 'failed',
      timestamp: '1750030073',
      recipient_id: '16505551234',
      errors: [{ code: 131049, title: 'Not delivered', message: 'Not delivered', error_data: { details: 'healthy ecosystem' }, href: 'https://x' }],
      a_new_field: { nested: true },
    };
    const odd = sentStatus(wamid(), { status: 'sent_to_the_moon', pricing: { category: 'a_new_category' } });
    const mmChange = statusChange(mmStack, [failed]);
    const cloudChange = { ...statusChange(cloudStack, [odd]), unknown_change_field: 7 };
    const payload = { object: 'whatsapp_business_account', entry: [{ id: mmStack.wabaId, time: 42, changes: [mmChange, cloudChange] }] };
    expect(await sim.control.sendWebhook(payload)).toEqual({ status: 200 });

    const toMm = await waitFor('the MM stack part', async () => mmReceiver.delivered.find((r) => r.raw.includes(failed.id)));
    const toCloud = await waitFor('the Cloud stack part', async () => cloudReceiver.delivered.find((r) => r.raw.includes(odd.id)));
    expect(toMm.body).toEqual({ object: 'whatsapp_business_account', entry: [{ id: mmStack.wabaId, time: 42, changes: [mmChange] }] });
    expect(toCloud.body).toEqual({ object: 'whatsapp_business_account', entry: [{ id: mmStack.wabaId, time: 42, changes: [cloudChange] }] });
    expect(verifySignatures(toMm, mmReceiver.secret).hub).toBe(true);
    expect(verifySignatures(toCloud, cloudReceiver.secret).hub).toBe(true);
  });
});

describe('category learning from template webhooks', () => {
  const templateEvent = (change: { field: string; value: any }, name: string) => change.value?.message_template_name === name;

  it('follows a completed template_category_update on the next send, without a failed MM attempt, and ignores the impending notice', async () => {
    const first = await sendVia(gateway, mmStack, templateMessage('wh_flip'));
    expect(first.headers['x-gateway-route-reason']).toBe('checked_accepted');

    await sim.control.categoryChange({ wabaId: mmStack.wabaId, name: 'wh_flip', language: 'en_US', newCategory: 'UTILITY', phase: 'impending' });
    await waitFor('the impending notice', async () => mmReceiver.changes().find((c) => templateEvent(c, 'wh_flip') && c.value.correct_category));
    const stillMarketing = await sendVia(gateway, mmStack, templateMessage('wh_flip'));
    expect(stillMarketing.headers['x-gateway-route-reason']).toBe('cached_marketing');

    await sim.control.categoryChange({ wabaId: mmStack.wabaId, name: 'wh_flip', language: 'en_US', newCategory: 'UTILITY' });
    const forwarded = await waitFor('the completed change', async () => mmReceiver.changes().find((c) => templateEvent(c, 'wh_flip') && c.value.previous_category));
    expect(forwarded).toMatchObject({ field: 'template_category_update', value: { previous_category: 'MARKETING', new_category: 'UTILITY' } });
    const next = await sendVia(gateway, mmStack, templateMessage('wh_flip'));
    expect(next.status).toBe(200);
    expect([next.headers['x-gateway-route'], next.headers['x-gateway-route-reason']]).toEqual(['cloud_api', 'cached_non_marketing']);
    expect(await callsFor(sim.control, 'wh_flip')).toMatchObject({ mm: 2, cloud: 1 });
  });

  it('forgets a template that message_template_status_update reports paused', async () => {
    await sendVia(gateway, mmStack, templateMessage('wh_paused'));
    const key = redisKeys(gateway.prefix).category(mmStack.wabaId, 'wh_paused', 'en_US');
    expect(await redis.exists(key)).toBe(1);
    const response = await request(`${sim.url}/_sim/template-status-change`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ wabaId: mmStack.wabaId, name: 'wh_paused', language: 'en_US', event: 'PAUSED' }),
    });
    expect(response.statusCode).toBe(200);
    await response.body.dump();
    await waitFor('the status update at the client', async () => mmReceiver.changes().find((c) => c.field === 'message_template_status_update' && templateEvent(c, 'wh_paused')));
    expect(await redis.exists(key)).toBe(0);
  });
});
