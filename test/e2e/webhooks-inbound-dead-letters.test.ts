import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOptionsFromUrl } from '@gw/config';
import { QUEUES } from '@gw/contracts';
import { get, makeStack, post, startGateway, startSimulator, type Gateway, type Simulator, type TestStack } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { envelope, sentStatus, statusChange, wamid, webhookEnv, webhookSecrets } from '../support/webhooks.ts';

const secrets = webhookSecrets();
const auth = { authorization: `Bearer ${secrets.adminToken}` };
let receiver: WebhookReceiver;
let sim: Simulator;
let gateway: Gateway;
let stack: TestStack;
const base = () => `${gateway.url}/admin/webhooks/inbound-dead-letters`;

beforeAll(async () => {
  receiver = await WebhookReceiver.start('inbound-dead-letter-secret');
  sim = await startSimulator();
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
  await receiver?.close();
});

/**
 * Meta posts a webhook while no gateway worker runs; a stand-in worker takes its
 * inbound job and fails it for good, as every attempt failing would.
 */
async function failInbound(text: string): Promise<{ jobId: string; id: string }> {
  const id = wamid();
  const payload = envelope(stack.wabaId, [statusChange(stack, [sentStatus(id, { note: text })])]);
  expect(await sim.control.sendWebhook(payload)).toEqual({ status: 200 });
  const standIn = new Worker(QUEUES.webhookInbound, null, { connection: redisOptionsFromUrl(gateway.redisUrl), prefix: gateway.prefix });
  try {
    const token = randomUUID();
    const job = await waitFor('the inbound job', async () => (await standIn.getNextJob(token, { block: false })) ?? false);
    await job.moveToFailed(new UnrecoverableError('simulated: Redis was unreachable for every attempt'), token);
    return { jobId: job.id!, id };
  } finally {
    await standIn.close();
  }
}

describe('inbound webhooks that failed every attempt', () => {
  it('are listed without their body and processed again on replay, one by one or in bulk', async () => {
    stack = makeStack({ webhookUrl: receiver.url, webhookSecret: receiver.secret });
    gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 0, env: webhookEnv(secrets) });
    await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret });

    const secret = `private words ${randomUUID()}`;
    const first = await failInbound(secret);
    const second = await failInbound(secret);

    expect((await get(base())).status).toBe(401);
    const listed = await get(base(), auth);
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain('private words');
    const entries = listed.body.data as Array<Record<string, unknown>>;
    expect(entries.map((e) => e.id).sort()).toEqual([first.jobId, second.jobId].sort());
    expect(entries[0]).toMatchObject({
      phoneNumberIds: [stack.phoneNumberId],
      stackIds: [stack.id],
      fields: ['messages'],
      reason: expect.stringContaining('simulated'),
      failedAt: expect.any(String),
    });
    expect((await post(`${base()}/nope/replay`, {}, auth)).status).toBe(404);
    expect((await get(`${base()}?limit=0`, auth)).body.error).toMatchObject({ code: 100 });

    // A worker is back: replaying one forwards its status to the client.
    await gateway.startWorker();
    expect((await post(`${base()}/${first.jobId}/replay`, {}, auth)).body).toEqual({ id: first.jobId, replayed: true });
    await waitFor('the first replayed status', async () => receiver.statuses().some((s) => s.id === first.id));
    expect((await get(base(), auth)).body.data.map((e: { id: string }) => e.id)).toEqual([second.jobId]);

    // The rest in bulk.
    expect((await post(`${base()}/replay`, {}, auth)).body).toEqual({ matched: 1, replayed: 1, failed: 0 });
    await waitFor('the second replayed status', async () => receiver.statuses().some((s) => s.id === second.id));
    expect((await get(base(), auth)).body.data).toEqual([]);
    // Each event reached the client once.
    expect(receiver.statuses().filter((s) => s.id === first.id || s.id === second.id)).toHaveLength(2);
  });
});
