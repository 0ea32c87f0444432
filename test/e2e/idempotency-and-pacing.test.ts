import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeStack, sendVia, startGateway, startSimulator, templateMessage, textMessage, type Gateway, type Simulator } from '../support/harness.ts';

const stack = makeStack();
const slow = makeStack({ messagesPerSecond: 5 });
let sim: Simulator;
let gateway: Gateway;

const sentTo = async (to: string) => (await sim.control.requests()).filter((r) => r.body?.to === to);

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack);
  await sim.control.account(slow);
  await sim.control.template(stack.wabaId, 'promo', 'MARKETING');
  gateway = await startGateway({
    stacks: [stack, slow],
    metaUrl: sim.url,
    env: { SEND_TIMEOUT_MS: '1500', PACING_MAX_WAIT_MS: '1000', PACING_BACKOFF_MS: '800' },
  });
});

afterEach(async () => {
  await sim.control.clearFaults();
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

describe('Idempotency-Key', () => {
  it('answers a repeat with the stored response and sends nothing again', async () => {
    const body = textMessage('once', '+15550100001');
    const first = await sendVia(gateway, stack, body, '/messages', { 'idempotency-key': 'order-1' });
    const again = await sendVia(gateway, stack, body, '/messages', { 'idempotency-key': 'order-1' });
    expect(first.status).toBe(200);
    expect([again.status, again.text]).toEqual([first.status, first.text]);
    expect(again.headers['x-gateway-route']).toBe(first.headers['x-gateway-route']);
    expect(again.headers['x-gateway-route-reason']).toBe(first.headers['x-gateway-route-reason']);
    expect(again.headers['x-gateway-idempotent-replay']).toBe('true');
    expect(await sentTo('+15550100001')).toHaveLength(1);
  });

  it('refuses the same key with a different body with a Meta-format 422', async () => {
    await sendVia(gateway, stack, textMessage('a', '+15550100002'), '/messages', { 'idempotency-key': 'order-2' });
    const other = await sendVia(gateway, stack, textMessage('b', '+15550100002'), '/messages', { 'idempotency-key': 'order-2' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe(100);
    expect(await sentTo('+15550100002')).toHaveLength(1);
  });

  it('keeps keys of different stacks apart', async () => {
    await sim.control.template(slow.wabaId, 'promo', 'MARKETING');
    const mine = await sendVia(gateway, stack, textMessage('x', '+15550100003'), '/messages', { 'idempotency-key': 'shared' });
    const theirs = await sendVia(gateway, slow, textMessage('x', '+15550100003'), '/messages', { 'idempotency-key': 'shared' });
    expect(theirs.headers['x-gateway-idempotent-replay']).toBeUndefined();
    expect(theirs.body.messages[0].id).not.toBe(mine.body.messages[0].id);
  });

  it('makes a repeat wait for the first request still in flight', async () => {
    await sim.control.fault('messages', { latencyMs: 700 });
    const body = textMessage('slow', '+15550100004');
    const first = sendVia(gateway, stack, body, '/messages', { 'idempotency-key': 'order-4' });
    await new Promise((r) => setTimeout(r, 150));
    const repeat = await sendVia(gateway, stack, body, '/messages', { 'idempotency-key': 'order-4' });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual((await first).body);
    expect(await sentTo('+15550100004')).toHaveLength(1);
  });

  it('sends once when many requests with one key arrive together', async () => {
    await sim.control.fault('messages', { latencyMs: 200 });
    const body = textMessage('together', '+15550100006');
    const answers = await Promise.all(Array.from({ length: 20 }, () => sendVia(gateway, stack, body, '/messages', { 'idempotency-key': 'order-6' })));
    const sent = await sentTo('+15550100006');
    expect(sent).toHaveLength(1);
    for (const answer of answers) {
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.messages[0].id).toBe(sent[0]!.wamid);
    }
    expect(answers.filter((a) => a.headers['x-gateway-idempotent-replay'] === 'true')).toHaveLength(19);
  });

  it('answers an ingress timeout with a 504 naming the pending job, and the repeat returns the final result', async () => {
    await sim.control.fault('messages', { latencyMs: 2500 });
    const body = textMessage('late', '+15550100005');
    const first = await sendVia(gateway, stack, body, '/messages', { 'idempotency-key': 'order-5' });
    expect(first.status).toBe(504);
    expect(first.body.error.error_data).toMatchObject({ outcome: 'pending', job_id: first.headers['x-gateway-job-id'] });
    await new Promise((r) => setTimeout(r, 1500));
    const repeat = await sendVia(gateway, stack, body, '/messages', { 'idempotency-key': 'order-5' });
    expect(repeat.status).toBe(200);
    const sent = await sentTo('+15550100005');
    expect(sent).toHaveLength(1);
    expect(repeat.body.messages[0].id).toBe(sent[0]!.wamid);
  });
});

describe('pacing per phone number', () => {
  it("paces a burst to the stack's rate and refuses what cannot go out in time with 130429", async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => sendVia(gateway, slow, textMessage(`burst ${i}`, `+1555020${String(i).padStart(4, '0')}`))));
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(ok.length + refused.length).toBe(20);
    // 5 at once, then 5 per second for at most one second of waiting.
    expect(ok.length).toBeGreaterThanOrEqual(5);
    expect(ok.length).toBeLessThanOrEqual(11);
    expect(refused[0]!.body.error).toMatchObject({ code: 130429 });
    const atMeta = (await sim.control.requests({ phoneNumberId: slow.phoneNumberId })).filter((r) => r.body?.text?.body?.startsWith('burst'));
    expect(atMeta).toHaveLength(ok.length);
  });

  it("passes Meta's 130429 through and holds the number back before the next send", async () => {
    await sim.control.fault('messages', { error: { status: 400, code: 130429 }, outage: true, remaining: 1 });
    const limited = await sendVia(gateway, stack, textMessage('t1', '+15550100006'));
    expect([limited.status, limited.body.error.code]).toEqual([400, 130429]);
    const next = await sendVia(gateway, stack, textMessage('t2', '+15550100007'));
    expect(next.status).toBe(200);
    const [a, b] = [...(await sentTo('+15550100006')), ...(await sentTo('+15550100007'))];
    expect(Number(b!.at) - Number(a!.at)).toBeGreaterThanOrEqual(700);
  });

  it('passes a pair-rate 131056 error through unchanged', async () => {
    await sim.control.fault('messages', { error: { status: 400, code: 131056 }, outage: true, remaining: 1 });
    const answer = await sendVia(gateway, stack, textMessage('pair', '+15550100008'));
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe(131056);
    expect(answer.headers['x-gateway-route']).toBe('cloud_api');
  });
});
