import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStack, startGateway, startSimulator, type Gateway, type Simulator, type TestStack } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { verifySignatures, WebhookReceiver } from '../support/webhook-receiver.ts';
import { adminClient, envelope, sentStatus, statusChange, wamid, webhookEnv, webhookSecrets, type AdminClient } from '../support/webhooks.ts';

const secrets = webhookSecrets();
const names = ['flaky', 'steady', 'broken', 'gone', 'throttled', 'slow'] as const;
type Name = (typeof names)[number];
const receivers = {} as Record<Name, WebhookReceiver>;
const stacks = {} as Record<Name, TestStack>;
let sim: Simulator;
let gateway: Gateway;
let admin: AdminClient;

beforeAll(async () => {
  for (const name of names) {
    receivers[name] = await WebhookReceiver.start(`${name}-secret-value`);
    stacks[name] = makeStack({ id: `${name}-${Date.now()}`, webhookUrl: receivers[name].url, webhookSecret: receivers[name].secret });
  }
  sim = await startSimulator();
  gateway = await startGateway({
    stacks: Object.values(stacks),
    metaUrl: sim.url,
    // Four attempts over about 1.4 s; few slots, so fairness between stacks shows.
    env: webhookEnv(secrets, { WEBHOOK_RETRY_SCHEDULE_MS: '200,400,800', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_CONCURRENCY: '4', WEBHOOK_STACK_CONCURRENCY: '2' }),
  });
  admin = adminClient(gateway, secrets.adminToken);
  await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
  await Promise.all(Object.values(receivers).map((r) => r.close()));
});

/** Meta posts one webhook with a status for each of the given stacks; returns the wamid per stack. */
async function metaPosts(...targets: TestStack[]): Promise<string[]> {
  const ids = targets.map(() => wamid());
  const payload = envelope(
    targets[0]!.wabaId,
    targets.map((stack, i) => statusChange(stack, [sentStatus(ids[i]!)])),
  );
  expect(await sim.control.sendWebhook(payload)).toEqual({ status: 200 });
  return ids;
}

const deliveredIds = (receiver: WebhookReceiver) => new Set(receiver.statuses().map((s) => s.id as string));
const deadLettersOf = async (stack: TestStack) => (await admin.list({ stackId: stack.id })).body.data as Array<Record<string, any>>;

describe('a client endpoint that is down for a while', () => {
  it('receives every event once it recovers, exactly as signed, none lost and none sent to another stack', async () => {
    const downUntil = Date.now() + 700;
    receivers.flaky.respond(() => (Date.now() < downUntil ? { status: 503 } : { status: 200 }));
    const flakyIds: string[] = [];
    const steadyIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [flaky, steady] = await metaPosts(stacks.flaky, stacks.steady);
      flakyIds.push(flaky!);
      steadyIds.push(steady!);
    }
    await waitFor('every flaky event', async () => flakyIds.every((id) => deliveredIds(receivers.flaky).has(id)), 15_000);
    await waitFor('every steady event', async () => steadyIds.every((id) => deliveredIds(receivers.steady).has(id)));

    expect(receivers.flaky.requests.some((r) => r.status === 503)).toBe(true);
    expect([...deliveredIds(receivers.flaky)].sort()).toEqual([...flakyIds].sort());
    expect([...deliveredIds(receivers.steady)].sort()).toEqual([...steadyIds].sort());
    for (const name of ['flaky', 'steady'] as const) {
      const receiver = receivers[name];
      for (const r of receiver.requests) {
        expect(verifySignatures(r, receiver.secret)).toEqual({ hub: true, standard: true });
        expect(r.body.entry[0].changes.map((c: any) => c.value.metadata.phone_number_id)).toEqual([stacks[name].phoneNumberId]);
      }
    }
    // A retry is the same delivery: same webhook-id and the same bytes.
    const byId = new Map<string, Set<string>>();
    for (const r of receivers.flaky.requests) byId.set(String(r.headers['webhook-id']), (byId.get(String(r.headers['webhook-id'])) ?? new Set()).add(r.raw));
    expect(byId.size).toBe(6);
    for (const bodies of byId.values()) expect(bodies.size).toBe(1);
  });
});

describe('dead letters', () => {
  it('are parked after the last attempt, listed for operators, and replayed one by one and in bulk', async () => {
    receivers.broken.respond(() => ({ status: 500 }));
    const since = Date.now();
    const ids = [...(await metaPosts(stacks.broken)), ...(await metaPosts(stacks.broken)), ...(await metaPosts(stacks.broken))];
    const parked = await waitFor('three dead letters', async () => ((await deadLettersOf(stacks.broken)).length === 3 ? deadLettersOf(stacks.broken) : undefined), 15_000);
    for (const letter of parked) {
      expect(letter).toMatchObject({ stackId: stacks.broken.id, attempts: 4, kinds: ['messages.statuses'], reason: 'gave up after 4 attempts: endpoint answered HTTP 500' });
      expect(Date.parse(letter.failedAt)).toBeGreaterThanOrEqual(Date.parse(letter.createdAt));
    }
    expect(receivers.broken.requests).toHaveLength(12);
    expect(JSON.stringify(parked)).not.toContain(stacks.broken.webhookSecret);

    receivers.broken.respond(() => ({ status: 204 }));
    const one = parked[0]!;
    expect((await admin.replay(one.id)).body).toEqual({ id: one.id, replayed: true });
    await waitFor('the replayed delivery', async () => receivers.broken.delivered.find((r) => r.headers['webhook-id'] === one.id));
    expect((await admin.replay(one.id)).status).toBe(404);

    const bulk = await admin.replayMany({ stackId: stacks.broken.id, from: new Date(since).toISOString(), to: Date.now() });
    expect(bulk.body).toEqual({ matched: 2, replayed: 2, failed: 0 });
    await waitFor('every event', async () => ids.every((id) => deliveredIds(receivers.broken).has(id)));
    expect(await deadLettersOf(stacks.broken)).toEqual([]);
  });

  it("refuse a bulk replay without a stack id, in Meta's error format", async () => {
    const answer = await admin.replayMany({ from: 0 });
    expect(answer.status).toBe(400);
    expect(answer.body.error.error_data.details).toMatch(/stackId/);
  });
});

describe('an endpoint answering 410 Gone', () => {
  it('gets no more deliveries until an operator replays them', async () => {
    receivers.gone.respond(() => ({ status: 410 }));
    const [first] = await metaPosts(stacks.gone);
    await waitFor('the first dead letter', async () => (await deadLettersOf(stacks.gone)).length === 1);
    const [second] = await metaPosts(stacks.gone);
    const letters = await waitFor('the second dead letter', async () => ((await deadLettersOf(stacks.gone)).length === 2 ? deadLettersOf(stacks.gone) : undefined));
    expect(receivers.gone.requests).toHaveLength(1);
    expect(letters.map((l) => l.attempts)).toEqual([1, 1]);
    expect(letters.map((l) => l.reason).join('\n')).toMatch(/410 Gone/);

    receivers.gone.respond(() => ({ status: 200 }));
    expect((await admin.replayMany({ stackId: stacks.gone.id })).body).toMatchObject({ matched: 2, replayed: 2 });
    await waitFor('both events', async () => [first!, second!].every((id) => deliveredIds(receivers.gone).has(id)));
  });
});

describe('Retry-After', () => {
  it('is honoured over the shorter retry schedule', async () => {
    let calls = 0;
    receivers.throttled.respond(() => (++calls === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const [id] = await metaPosts(stacks.throttled);
    await waitFor('the delivery after the wait', async () => deliveredIds(receivers.throttled).has(id!), 10_000);
    const [throttled, accepted] = receivers.throttled.requests;
    expect(accepted!.at - throttled!.at).toBeGreaterThanOrEqual(1900);
  });
});

describe('a slow endpoint', () => {
  it('does not delay deliveries to other stacks', async () => {
    receivers.slow.respond(() => ({ hang: true }));
    for (let i = 0; i < 8; i++) await metaPosts(stacks.slow);
    await waitFor('the slow endpoint to be busy', async () => receivers.slow.requests.length >= 2);
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(...(await metaPosts(stacks.steady)));
    await waitFor('the steady stack', async () => ids.every((id) => deliveredIds(receivers.steady).has(id)));
    // Well under the slow endpoint's 2 s timeout: nobody waited for its slots.
    expect(Date.now() - started).toBeLessThan(1500);
    receivers.slow.respond(() => ({ status: 200 }));
  });
});
