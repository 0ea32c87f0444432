import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { get, makeStack, post, sendVia, startGateway, startSimulator, templateMessage, type Gateway, type Simulator, type TestStack } from '../support/harness.ts';
import { callsFor, waitFor } from '../support/assertions.ts';

/**
 * Issue #11, "Meta as it is in 2026": every case through the real ingress and
 * worker processes against the simulator, which follows Meta's 2026 documentation.
 */
const stack = makeStack();
/** Another stack of the same WABA (issue #18 item 2): nothing stack A provokes may change its routing. */
const neighbour = makeStack({ wabaId: stack.wabaId });
/** A WABA that turned marketing off on the Cloud API, learned by the template sync. */
const offSynced = makeStack();
/** The same setting, learned from a 131063. */
const offLearned = makeStack();
let sim: Simulator;
let gateway: Gateway;

const route = (r: { headers: Record<string, unknown> }) => [r.headers['x-gateway-route'], r.headers['x-gateway-route-reason']];
const auth = (s: TestStack) => ({ authorization: `Bearer ${s.apiKey}` });
const categories = async (s: TestStack) => (await get(`${gateway.url}/templates/categories`, auth(s))).body.data as Array<{ name: string; category: string; source: string }>;
const { to: _to, ...withoutTo } = templateMessage('x');
const bsuid = 'US.13491208655302741918';
const byUserId = (name: string) => ({ ...withoutTo, recipient: bsuid, template: templateMessage(name).template });
const badParameter = (name: string) => ({
  ...templateMessage(name),
  template: { name, language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text' }] }] },
});

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack, { marketingLimited: ['15550009999'] });
  await sim.control.account(neighbour);
  await sim.control.account(offSynced, { cloudMarketingOff: true });
  await sim.control.account(offLearned, { cloudMarketingOff: true });
  const marketing = ['bsuid_promo', 'future_promo', 'bid_promo', 'bid_outage', 'limit_promo', 'bad_param', 'group_promo', 'mm_fields', 'shared_promo'];
  await sim.control.templates([
    ...marketing.map((name) => ({ wabaId: stack.wabaId, name, language: 'en_US', category: 'MARKETING' })),
    { wabaId: stack.wabaId, name: 'mm_fields_utility', language: 'en_US', category: 'UTILITY' },
    { wabaId: offSynced.wabaId, name: 'off_promo', language: 'en_US', category: 'MARKETING' },
    { wabaId: offLearned.wabaId, name: 'learned_promo', language: 'en_US', category: 'MARKETING' },
  ]);
  gateway = await startGateway({ stacks: [stack, neighbour, offSynced, offLearned], metaUrl: sim.url, env: { MM_BREAKER_THRESHOLD: '50' } });
});

afterEach(async () => {
  await sim.control.clearFaults();
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

describe('every valid Cloud API call passes through', () => {
  it('marks a message read and shows a typing indicator, on the short and the Graph path, without to or type', async () => {
    const id = await sim.control.inbound();
    const read = { messaging_product: 'whatsapp', status: 'read', message_id: id };
    const typing = { ...read, typing_indicator: { type: 'text' } };
    for (const [body, path] of [
      [read, '/messages'],
      [typing, '/messages'],
      [read, `/v23.0/${stack.phoneNumberId}/messages`],
      [typing, `/v24.0/${stack.phoneNumberId}/messages`],
    ] as const) {
      const answer = await sendVia(gateway, stack, body, path);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ success: true });
      expect(route(answer)).toEqual(['cloud_api', 'status_update']);
      // Through the same exactly-once send job as every send (Bull Board shows it).
      expect(answer.headers['x-gateway-job-id']).toMatch(/^.+\.\d+$/);
    }
    const seen = (await sim.control.requests({ endpoint: 'messages' })).filter((r) => r.body?.message_id === id);
    expect(seen.map((r) => r.body)).toEqual([read, typing, read, typing]);
    expect((await sim.control.requests({ endpoint: 'marketing_messages' })).filter((r) => r.body?.message_id === id)).toEqual([]);
  });

  it("passes Meta's own error for an unknown message id, and a Meta-format 400 for a read without message_id", async () => {
    const unknown = await sendVia(gateway, stack, { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.unknown' });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 131009]);
    const bad = await sendVia(gateway, stack, { messaging_product: 'whatsapp', status: 'read' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 100]);
    expect(bad.body.error.error_data.details).toContain('"message_id"');
  });

  it('sends to a business-scoped user id (recipient instead of to) and routes it like any send', async () => {
    const answer = await sendVia(gateway, stack, byUserId('bsuid_promo'));
    expect(answer.status).toBe(200);
    expect(route(answer)).toEqual(['marketing_messages', 'checked_accepted']);
    expect(answer.body.contacts).toEqual([{ input: bsuid, user_id: bsuid }]);
    const [sent] = (await callsFor(sim.control, 'bsuid_promo')).requests;
    expect(sent!.body.recipient).toBe(bsuid);
    expect(sent!.body.to).toBeUndefined();
  });

  it('keeps unknown and future fields', async () => {
    const body = { ...templateMessage('future_promo'), biz_opaque_callback_data: 'order-17', context: { message_id: 'wamid.prev' }, future_field: { nested: [1, 2] } };
    const answer = await sendVia(gateway, stack, body);
    expect(answer.status).toBe(200);
    const [sent] = (await callsFor(sim.control, 'future_promo')).requests;
    expect(sent!.body).toEqual(body);
  });

  it('passes /messages_encrypted (short and Graph path) to the Cloud API without routing', async () => {
    const body = { messaging_product: 'whatsapp', encrypted_contents: 'eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d' };
    for (const path of ['/messages_encrypted', `/v24.0/${stack.phoneNumberId}/messages_encrypted`]) {
      const answer = await sendVia(gateway, stack, body, path);
      expect(answer.status).toBe(200);
      expect(answer.body.messages[0].id).toMatch(/^wamid\./);
      expect(route(answer)).toEqual(['cloud_api', 'encrypted']);
    }
    const seen = await sim.control.requests({ endpoint: 'messages_encrypted' });
    expect(seen.map((r) => [r.phoneNumberId, r.body])).toEqual([
      [stack.phoneNumberId, body],
      [stack.phoneNumberId, body],
    ]);
    const refused = await sendVia(gateway, stack, { messaging_product: 'whatsapp' }, '/messages_encrypted');
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe(131008);
  });
});

describe('the 2026 routing rules', () => {
  it('sends a max-price template to the MM API only, and answers an MM failure without a second call', async () => {
    const bid = { bid_spec: { per_message_bid_multiplier: 1.2 } };
    const ok = await sendVia(gateway, stack, { ...templateMessage('bid_promo'), ...bid });
    expect(ok.status).toBe(200);
    expect(route(ok)).toEqual(['marketing_messages', 'max_price']);

    await sim.control.fault('marketing_messages', { outage: true });
    const failed = await sendVia(gateway, stack, { ...templateMessage('bid_outage'), ...bid });
    expect(failed.status).toBe(500);
    expect(failed.body.error.code).toBe(131000);
    expect(route(failed)).toEqual(['marketing_messages', 'max_price']);
    expect(await callsFor(sim.control, 'bid_outage')).toMatchObject({ mm: 1, cloud: 0 });
  });

  it('answers a per-user marketing limit (131049) as Meta gave it: no Cloud resend, nothing learned, not labelled a fallback', async () => {
    const answer = await sendVia(gateway, stack, templateMessage('limit_promo', 'en_US', '+15550009999'));
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe(131049);
    expect(route(answer)).toEqual(['marketing_messages', 'mm_pass_through']);
    expect(await callsFor(sim.control, 'limit_promo')).toMatchObject({ mm: 1, cloud: 0 });
    expect((await categories(stack)).find((c) => c.name === 'limit_promo')).toBeUndefined();
    // Another user: still probed on the MM API, and accepted there.
    const other = await sendVia(gateway, stack, templateMessage('limit_promo'));
    expect(route(other)).toEqual(['marketing_messages', 'checked_accepted']);
  });

  it('answers 131056 and 130429 from the MM API as given, without a Cloud resend', async () => {
    await sim.control.template(stack.wabaId, 'pair_promo', 'MARKETING');
    for (const code of [131056, 130429]) {
      await sim.control.fault('marketing_messages', { error: { status: 400, code }, outage: true, remaining: 1 });
      const answer = await sendVia(gateway, stack, templateMessage('pair_promo'));
      expect([answer.status, answer.body.error.code]).toEqual([400, code]);
      expect(route(answer)).toEqual(['marketing_messages', 'mm_pass_through']);
    }
    expect(await callsFor(sim.control, 'pair_promo')).toMatchObject({ mm: 2, cloud: 0 });
  });

  it('never teaches the cache from an invalid parameter (code 100)', async () => {
    const bad = await sendVia(gateway, stack, badParameter('bad_param'));
    expect([bad.status, bad.body.error.code]).toEqual([400, 100]);
    expect(route(bad)).toEqual(['cloud_api', 'invalid_parameter_fallback']);
    expect(bad.headers['x-gateway-mm-error-code']).toBe('100');
    expect((await categories(stack)).find((c) => c.name === 'bad_param')).toBeUndefined();
    const good = await sendVia(gateway, stack, templateMessage('bad_param'));
    expect(route(good)).toEqual(['marketing_messages', 'checked_accepted']);
  });

  it('never tries a group send on the MM API, even for a known marketing template', async () => {
    expect(route(await sendVia(gateway, stack, templateMessage('group_promo')))).toEqual(['marketing_messages', 'checked_accepted']);
    const group = { ...templateMessage('group_promo', 'en_US', '120363025246125486@g.us'), recipient_type: 'group' };
    const answer = await sendVia(gateway, stack, group);
    expect(answer.status).toBe(200);
    expect(route(answer)).toEqual(['cloud_api', 'not_individual']);
    expect(await callsFor(sim.control, 'group_promo')).toMatchObject({ mm: 1, cloud: 1 });
  });

  it('removes MM-only fields before a Cloud API fallback', async () => {
    const mmOnly = { product_policy: 'CLOUD_API_FALLBACK', message_activity_sharing: true };
    const answer = await sendVia(gateway, stack, { ...templateMessage('mm_fields_utility'), ...mmOnly, biz_opaque_callback_data: 'keep' });
    expect(answer.status).toBe(200);
    expect(route(answer)).toEqual(['cloud_api', 'checked_fallback']);
    const { requests } = await callsFor(sim.control, 'mm_fields_utility');
    const mm = requests.find((r) => r.endpoint === 'marketing_messages')!;
    const cloud = requests.find((r) => r.endpoint === 'messages')!;
    expect(mm.body).toMatchObject(mmOnly);
    expect(cloud.body).toEqual({ ...templateMessage('mm_fields_utility'), biz_opaque_callback_data: 'keep' });
  });
});

describe('a WABA with marketing off on the Cloud API', () => {
  it('reads the setting in the template sync and then sends marketing to the MM API only, during an outage too', async () => {
    const warmup = await post(`${gateway.url}/templates/warmup`, {}, auth(offSynced));
    expect(warmup.status).toBe(202);
    const status = await waitFor('warm-up to finish', async () => {
      const s = await get(`${gateway.url}/templates/warmup/${warmup.body.id}`, auth(offSynced));
      return s.body.state === 'completed' && s.body;
    });
    expect(status.summary).toMatchObject({ marketing: 1, errors: [], cloudMarketingOff: true });
    expect((await sim.control.requests({ endpoint: 'waba' })).map((r) => r.wabaId)).toContain(offSynced.wabaId);

    await sim.control.fault('marketing_messages', { outage: true });
    for (let i = 0; i < 3; i++) {
      const answer = await sendVia(gateway, offSynced, templateMessage('off_promo'));
      expect([answer.status, answer.body.error.code]).toEqual([500, 131000]);
      expect(route(answer)).toEqual(['marketing_messages', 'cloud_marketing_off']);
    }
    expect(await callsFor(sim.control, 'off_promo')).toMatchObject({ mm: 3, cloud: 0 });
  });

  it('learns the setting from one 131063 and does not fall back again', async () => {
    await sim.control.fault('marketing_messages', { outage: true });
    const first = await sendVia(gateway, offLearned, templateMessage('learned_promo'));
    expect([first.status, first.body.error.code]).toEqual([400, 131063]);
    expect(route(first)).toEqual(['cloud_api', 'checked_fallback']);
    for (let i = 0; i < 3; i++) {
      const answer = await sendVia(gateway, offLearned, templateMessage('learned_promo'));
      expect(route(answer)).toEqual(['marketing_messages', 'cloud_marketing_off']);
      expect(answer.body.error.code).toBe(131000);
    }
    expect(await callsFor(sim.control, 'learned_promo')).toMatchObject({ mm: 4, cloud: 1 });
    await sim.control.clearFaults();
    const recovered = await sendVia(gateway, offLearned, templateMessage('learned_promo'));
    expect([recovered.status, ...route(recovered)]).toEqual([200, 'marketing_messages', 'cloud_marketing_off']);
  });
});

describe("one stack cannot change another stack's routing (issue #18, item 2)", () => {
  it("leaves the neighbour's sends of the same WABA and template on the MM API after group sends, bad parameters and 131049s", async () => {
    const group = { ...templateMessage('shared_promo', 'en_US', '120363025246125486@g.us'), recipient_type: 'group' };
    const provoked = await Promise.all([
      sendVia(gateway, stack, group),
      sendVia(gateway, stack, badParameter('shared_promo')),
      sendVia(gateway, stack, templateMessage('shared_promo', 'en_US', '+15550009999')),
    ]);
    expect(provoked.map((a) => a.headers['x-gateway-route-reason'])).toEqual(['not_individual', 'invalid_parameter_fallback', 'mm_pass_through']);
    expect((await categories(neighbour)).find((c) => c.name === 'shared_promo')).toBeUndefined();

    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => sendVia(gateway, neighbour, templateMessage('shared_promo', 'en_US', `+1555000777${i}`))));
    expect(answers.map((a) => [a.status, a.headers['x-gateway-route']])).toEqual(Array(5).fill([200, 'marketing_messages']));
  });

  it("also while the bad sends and the neighbour's race for the same first probe", async () => {
    await sim.control.template(stack.wabaId, 'race_promo', 'MARKETING');
    const answers = await Promise.all([
      sendVia(gateway, stack, badParameter('race_promo')),
      ...Array.from({ length: 5 }, (_, i) => sendVia(gateway, neighbour, templateMessage('race_promo', 'en_US', `+1555000888${i}`))),
    ]);
    expect(answers[0]!.body.error.code).toBe(100);
    expect(answers.slice(1).map((a) => [a.status, a.headers['x-gateway-route']])).toEqual(Array(5).fill([200, 'marketing_messages']));
    expect((await categories(neighbour)).find((c) => c.name === 'race_promo')).toMatchObject({ category: 'marketing' });
  });
});
