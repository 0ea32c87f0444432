import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '@gw/process-tools';
import { get, makeStack, startGateway, startSimulator, type Gateway, type Simulator } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { adminClient, envelope, postToMetaWebhook, sentStatus, statusChange, wamid, webhookEnv, webhookSecrets } from '../support/webhooks.ts';

const secrets = webhookSecrets();
const stackSecret = 'stack-secret-receiving';
let receiver: WebhookReceiver;
let stack: ReturnType<typeof makeStack>;
const latecomer = makeStack({ webhookSecret: 'latecomer-secret' });
let sim: Simulator;
let gateway: Gateway;

beforeAll(async () => {
  receiver = await WebhookReceiver.start(stackSecret);
  stack = makeStack({ webhookUrl: receiver.url, webhookSecret: stackSecret });
  latecomer.webhookUrl = receiver.url;
  sim = await startSimulator();
  // Separate processes: the dead-letter test restarts the worker alone to read a new stacks file.
  gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 1, env: webhookEnv(secrets) });
  await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
  await receiver?.close();
});

describe('the verification handshake', () => {
  it('answers the raw hub.challenge when the verify token matches', async () => {
    const query = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': secrets.verifyToken, 'hub.challenge': '1158201444' });
    const answer = await get(`${gateway.url}/webhooks/meta?${query}`);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('1158201444');
  });

  it.each([
    ['a wrong verify token', { 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' }],
    ['a wrong mode', { 'hub.mode': 'unsubscribe', 'hub.verify_token': secrets.verifyToken, 'hub.challenge': '1' }],
    ['no parameters', {}],
  ])("refuses %s with 403 in Meta's error format", async (_name, params) => {
    const answer = await get(`${gateway.url}/webhooks/meta?${new URLSearchParams(params)}`);
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({ code: 10, fbtrace_id: expect.any(String) });
  });
});

describe('POST /webhooks/meta', () => {
  it('rejects a bad or missing signature with 401 and forwards nothing', async () => {
    const forged = wamid();
    const unsigned = wamid();
    expect(await sim.control.sendWebhook(envelope(stack.wabaId, [statusChange(stack, [sentStatus(forged)])]), 'invalid')).toEqual({ status: 401 });
    expect(await sim.control.sendWebhook(envelope(stack.wabaId, [statusChange(stack, [sentStatus(unsigned)])]), 'missing')).toEqual({ status: 401 });
    const direct = await postToMetaWebhook(gateway, envelope(stack.wabaId, [statusChange(stack, [sentStatus(forged)])]), 'wrong-secret');
    expect(direct.status).toBe(401);
    expect(direct.body.error.code).toBe(190);

    // A genuine webhook sent afterwards arrives; the rejected ones never do.
    const genuine = wamid();
    expect(await sim.control.sendWebhook(envelope(stack.wabaId, [statusChange(stack, [sentStatus(genuine)])]), 'valid')).toEqual({ status: 200 });
    await waitFor('the genuine webhook', async () => receiver.statuses().some((s) => s.id === genuine));
    await new Promise((r) => setTimeout(r, 300));
    const ids = receiver.statuses().map((s) => s.id);
    expect(ids).not.toContain(forged);
    expect(ids).not.toContain(unsigned);
  });

  it('acknowledges signed webhooks fast: the median answer is under 250 ms', async () => {
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const answer = await postToMetaWebhook(gateway, envelope(stack.wabaId, [statusChange(stack, [sentStatus(wamid())])]), secrets.appSecret);
      times.push(performance.now() - started);
      expect(answer.status).toBe(200);
    }
    times.sort((a, b) => a - b);
    expect(times[5]!).toBeLessThan(250);
  });

  it('forwards the exact bytes Meta sent when the envelope needs neither splitting nor enrichment', async () => {
    const id = wamid();
    const payload = envelope(stack.wabaId, [statusChange(stack, [sentStatus(id, { a_field_meta_adds_next_year: { x: [1, 2] } })])]);
    await postToMetaWebhook(gateway, payload, secrets.appSecret);
    const request = await waitFor('the forward', async () => receiver.delivered.find((r) => r.raw.includes(id)));
    expect(request.raw).toBe(JSON.stringify(payload));
    expect(request.headers['content-type']).toBe('application/json');
  });
});

describe('webhooks no stack can take', () => {
  const admin = () => adminClient(gateway, secrets.adminToken);

  it('keeps a webhook for an unknown phone number as a dead letter, and delivers it on replay once the stack exists', async () => {
    const id = wamid();
    const answer = await postToMetaWebhook(gateway, envelope(latecomer.wabaId, [statusChange(latecomer, [sentStatus(id)])]), secrets.appSecret);
    expect(answer.status).toBe(200);
    const parked = await waitFor('the dead letter', async () => {
      const list = await admin().list();
      return list.body.data.find((d: { phoneNumberId: string }) => d.phoneNumberId === latecomer.phoneNumberId);
    });
    expect(parked).toMatchObject({ stackId: null, kinds: ['messages.statuses'], attempts: 1 });
    expect(parked.reason).toMatch(new RegExp(`no stack has phone number id ${latecomer.phoneNumberId}`));
    expect(JSON.stringify(parked)).not.toContain(stackSecret);

    // The operator adds the stack and restarts the worker, then replays.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(gateway.stacksFile, JSON.stringify([stack, latecomer]));
    await gateway.workers[0]!.stop();
    gateway.workers.splice(0, 1);
    await gateway.startWorker();
    expect((await admin().replay(parked.id)).status).toBe(200);
    const delivered = await waitFor('the replayed webhook', async () => receiver.delivered.find((r) => r.raw.includes(id)));
    expect(delivered.headers['webhook-id']).toBe(parked.id);
    expect((await admin().list()).body.data.map((d: { id: string }) => d.id)).not.toContain(parked.id);
  });

  it('parks an account event of no known WABA as unroutable, visible to operators', async () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [{ id: '987650001', time: 1, changes: [{ field: 'account_update', value: { event: 'MM_LITE_TERMS_SIGNED', waba_info: { waba_id: '1' } } }] }],
    };
    expect((await postToMetaWebhook(gateway, payload, secrets.appSecret)).status).toBe(200);
    const parked = await waitFor('the unroutable dead letter', async () => (await admin().list()).body.data.find((d: { kinds: string[] }) => d.kinds.includes('account_update')));
    expect(parked).toMatchObject({ stackId: null, phoneNumberId: null });
    expect(parked.reason).toMatch(/matches no stack/);
  });

  it('closes the admin API to a missing or wrong token', async () => {
    expect((await adminClient(gateway, 'wrong').list()).status).toBe(401);
    expect((await get(`${gateway.url}/admin/webhooks/dead-letters`)).status).toBe(401);
    expect((await adminClient(gateway, 'wrong').replayMany({ stackId: stack.id })).status).toBe(401);
  });
});

describe('a gateway with default settings on its own Redis', () => {
  let redis: PrivateRedis;
  let isolated: Gateway;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    isolated = await startGateway({
      stacks: [stack],
      metaUrl: sim.url,
      redisUrl: redis.url,
      env: { ...webhookEnv(secrets), WEBHOOK_ALLOW_PRIVATE_URLS: 'false' },
    });
  });

  afterAll(async () => {
    await Promise.all([...(isolated?.ingresses ?? []), ...(isolated?.workers ?? [])].map((s) => s.stop('SIGKILL')));
    await redis?.stop().catch(() => undefined);
  });

  it('refuses to deliver to a webhook URL on a loopback address and parks it with the reason', async () => {
    const id = wamid();
    expect((await postToMetaWebhook(isolated, envelope(stack.wabaId, [statusChange(stack, [sentStatus(id)])]), secrets.appSecret)).status).toBe(200);
    const parked = await waitFor('the refused delivery', async () => (await adminClient(isolated, secrets.adminToken).list()).body.data[0]);
    expect(parked).toMatchObject({ stackId: stack.id, attempts: 1 });
    expect(parked.reason).toMatch(/127\.0\.0\.1.*WEBHOOK_ALLOW_PRIVATE_URLS/);
    expect(receiver.requests.some((r) => r.raw.includes(id))).toBe(false);
  });

  it('answers 503 when Redis is down, so Meta retries, and quickly', async () => {
    await redis.stop();
    const started = performance.now();
    const answer = await postToMetaWebhook(isolated, envelope(stack.wabaId, [statusChange(stack, [sentStatus(wamid())])]), secrets.appSecret);
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatchObject({ code: 2, is_transient: true });
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
