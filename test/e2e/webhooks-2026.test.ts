import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStack, sendVia, startGateway, startSimulator, templateMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { envelope, postToMetaWebhook, wamid, webhookEnv, webhookSecrets } from '../support/webhooks.ts';

/** Status webhooks in Meta's 2026 shape (docs/webhooks.md), through the real processes. */
const secrets = webhookSecrets();
let receiver: WebhookReceiver;
let stack: ReturnType<typeof makeStack>;
let sim: Simulator;
let gateway: Gateway;
const bsuid = 'US.13491208655302741918';

beforeAll(async () => {
  receiver = await WebhookReceiver.start('stack-2026-secret');
  stack = makeStack({ webhookUrl: receiver.url, webhookSecret: receiver.secret });
  sim = await startSimulator();
  await sim.control.account(stack);
  await sim.control.templates([
    { wabaId: stack.wabaId, name: 'wh26_promo', language: 'en_US', category: 'MARKETING' },
    { wabaId: stack.wabaId, name: 'wh26_bid', language: 'en_US', category: 'MARKETING' },
  ]);
  gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, env: webhookEnv(secrets) });
  // Meta does not guarantee order: delivered goes out well before sent.
  await sim.control.webhooks({
    url: `${gateway.url}/webhooks/meta`,
    appSecret: secrets.appSecret,
    inOrder: false,
    statuses: { sent: { delayMs: 300 }, delivered: { delayMs: 20 }, read: { delayMs: 600 } },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
  await receiver?.close();
});

const changesFor = (id: string) => receiver.changes().filter((c) => c.value?.statuses?.some((s: { id: string }) => s.id === id));

describe('2026 status webhooks', () => {
  it("forward a BSUID send's statuses as they come (delivered before sent), with contacts[].user_id, recipient_user_id and no recipient_id", async () => {
    const { to: _to, ...withoutTo } = templateMessage('wh26_promo');
    const answer = await sendVia(gateway, stack, { ...withoutTo, recipient: bsuid });
    expect(answer.headers['x-gateway-route']).toBe('marketing_messages');
    const id = answer.body.messages[0].id as string;
    await waitFor('three statuses', async () => changesFor(id).length >= 3);
    const changes = changesFor(id);
    expect(changes.map((c) => c.value.statuses[0].status)).toEqual(['delivered', 'sent', 'read']);
    for (const change of changes) {
      expect(change.value.contacts).toEqual([{ profile: { name: expect.any(String) }, user_id: bsuid }]);
      const status = change.value.statuses[0];
      expect(status.recipient_user_id).toBe(bsuid);
      expect('recipient_id' in status).toBe(false);
      // marketing_lite enrichment still works for them: Meta's read of a non-max-price send has no pricing.
      expect(status.pricing.category).toBe('marketing_lite');
    }
    expect(changes[2]!.value.statuses[0].pricing).toEqual({ category: 'marketing_lite' });
  });

  it('keep pricing.cost of a max-price send on delivered and read', async () => {
    const answer = await sendVia(gateway, stack, { ...templateMessage('wh26_bid'), bid_spec: { per_message_bid_multiplier: 1.3 } });
    expect(answer.headers['x-gateway-route-reason']).toBe('max_price');
    const id = answer.body.messages[0].id as string;
    await waitFor('three statuses', async () => changesFor(id).length >= 3);
    const byStatus = Object.fromEntries(changesFor(id).map((c) => [c.value.statuses[0].status, c.value.statuses[0]]));
    for (const kind of ['delivered', 'read']) {
      expect(byStatus[kind].pricing).toEqual({
        billable: true,
        pricing_model: 'PMP',
        type: 'regular',
        category: 'marketing_lite',
        cost: { amount: expect.any(Number), currency: 'USD' },
      });
    }
    expect(byStatus.sent.pricing.cost).toBeUndefined();
    expect(byStatus.sent.recipient_id).toBe('15550001234');
  });

  it('pass every field of a 2026 payload through unchanged, new webhook fields included', async () => {
    const id = wamid();
    const statusChange = {
      field: 'messages',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550001111', phone_number_id: stack.phoneNumberId },
        contacts: [{ profile: { name: 'Ann', username: '@ann' }, wa_id: '15550001234', user_id: bsuid, parent_user_id: 'US.PARENT.1' }],
        statuses: [
          {
            id,
            status: 'delivered',
            timestamp: '1780000000',
            recipient_user_id: bsuid,
            recipient_parent_user_id: 'US.PARENT.1',
            pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing', cost: { amount: 0.02, currency: 'EUR' } },
            biz_opaque_callback_data: 'order-17',
            future_status_field: { x: [1] },
          },
        ],
      },
    };
    const userIdUpdate = {
      field: 'user_id_update',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550001111', phone_number_id: stack.phoneNumberId },
        user_id_update: [{ wa_id: '15550001234', user_id: { previous: 'US.OLD', current: bsuid }, timestamp: '1780000001' }],
      },
    };
    const sent = envelope(stack.wabaId, [statusChange, userIdUpdate]);
    expect((await postToMetaWebhook(gateway, sent, secrets.appSecret)).status).toBe(200);
    await waitFor('both changes', async () => receiver.changes().some((c) => c.field === 'user_id_update') && changesFor(id).length > 0);
    expect(changesFor(id)).toEqual([statusChange]);
    expect(receiver.changes().filter((c) => c.field === 'user_id_update')).toEqual([userIdUpdate]);
  });
});
