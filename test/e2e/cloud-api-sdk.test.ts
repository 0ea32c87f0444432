import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppClient } from '@kapso/whatsapp-cloud-api';
import { makeStack, startGateway, startSimulator, type Gateway, type Simulator } from '../support/harness.ts';

/**
 * A chatbot that only switched its base URL to the gateway (issue #11): a real npm
 * Cloud API SDK, holding only the stack's API key, marks a message read, shows a
 * typing indicator and replies, all through the real ingress and worker.
 */
const stack = makeStack();
let sim: Simulator;
let gateway: Gateway;
let client: WhatsAppClient;

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack);
  gateway = await startGateway({ stacks: [stack], metaUrl: sim.url });
  client = new WhatsAppClient({ accessToken: stack.apiKey, baseUrl: gateway.url, graphVersion: 'v23.0' });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

describe('@kapso/whatsapp-cloud-api pointed at the gateway', () => {
  it('marks a received message read, shows a typing indicator and replies', async () => {
    const received = await sim.control.inbound();
    expect(await client.messages.markRead({ phoneNumberId: stack.phoneNumberId, messageId: received })).toMatchObject({ success: true });
    expect(await client.messages.markRead({ phoneNumberId: stack.phoneNumberId, messageId: received, typingIndicator: { type: 'text' } })).toMatchObject({ success: true });
    const reply = await client.messages.sendText({ phoneNumberId: stack.phoneNumberId, to: '+15550001234', body: 'On it!' });
    expect(reply.messages[0]?.id).toMatch(/^wamid\./);

    const seen = await sim.control.requests({ endpoint: 'messages', phoneNumberId: stack.phoneNumberId });
    expect(seen.map((r) => [r.status, r.body.status ?? r.body.type, r.body.typing_indicator?.type])).toEqual([
      [200, 'read', undefined],
      [200, 'read', 'text'],
      [200, 'text', undefined],
    ]);
    // The SDK's bearer is the stack's API key; the simulator saw only the stack's Meta token (or it would have answered 190).
    expect(seen.every((r) => r.body.message_id === undefined || r.body.message_id === received)).toBe(true);
  });

  it("gets Meta's error for an unknown message id", async () => {
    await expect(client.messages.markRead({ phoneNumberId: stack.phoneNumberId, messageId: 'wamid.unknown' })).rejects.toMatchObject({
      message: expect.stringContaining('131009'),
    });
  });
});
