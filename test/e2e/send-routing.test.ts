import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisKeys } from '@gw/contracts';
import { makeStack, sendVia, startGateway, startSimulator, templateMessage, textMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { callsFor } from '../support/assertions.ts';

const stack = makeStack();
const optedOut = makeStack({ mmRouting: false });
let sim: Simulator;
let gateway: Gateway;
let redis: Redis;

const cacheKey = (name: string) => redisKeys(gateway.prefix).category(stack.wabaId, name, 'en_US');
const route = (r: { headers: Record<string, unknown> }) => [r.headers['x-gateway-route'], r.headers['x-gateway-route-reason']];

beforeAll(async () => {
  sim = await startSimulator();
  for (const s of [stack, optedOut]) await sim.control.account(s);
  const templates = ['promo_a', 'promo_b', 'promo_c', 'promo_d', 'promo_e', 'promo_parallel'].map((name) => ({
    wabaId: stack.wabaId,
    name,
    language: 'en_US',
    category: 'MARKETING',
  }));
  const utilities = ['util_a', 'util_b', 'util_c', 'util_parallel'].map((name) => ({ wabaId: stack.wabaId, name, language: 'en_US', category: 'UTILITY' }));
  await sim.control.templates([...templates, ...utilities, { wabaId: optedOut.wabaId, name: 'promo_optout', language: 'en_US', category: 'MARKETING' }]);
  gateway = await startGateway({ stacks: [stack, optedOut], metaUrl: sim.url });
  redis = new Redis(gateway.redisUrl);
});

afterAll(async () => {
  redis?.disconnect();
  await gateway?.stop();
  await sim?.stop();
});

describe('routing of POST /messages', () => {
  it('sends every message of an opted-out stack via the Cloud API', async () => {
    const answer = await sendVia(gateway, optedOut, templateMessage('promo_optout'));
    expect(answer.status).toBe(200);
    expect(route(answer)).toEqual(['cloud_api', 'routing_disabled']);
    const calls = (await sim.control.requests({ phoneNumberId: optedOut.phoneNumberId })).map((r) => r.endpoint);
    expect(calls).toEqual(['messages']);
  });

  it('sends a non-template message via the Cloud API without asking the MM API', async () => {
    const answer = await sendVia(gateway, stack, textMessage('hi there'));
    expect(answer.status).toBe(200);
    expect(route(answer)).toEqual(['cloud_api', 'not_template']);
    const text = (await sim.control.requests({ phoneNumberId: stack.phoneNumberId })).filter((r) => r.body?.type === 'text');
    expect(text.map((r) => r.endpoint)).toEqual(['messages']);
  });

  it('probes an unknown marketing template once, then routes it from the cache', async () => {
    const first = await sendVia(gateway, stack, templateMessage('promo_a'));
    expect(first.status).toBe(200);
    expect(route(first)).toEqual(['marketing_messages', 'checked_accepted']);
    expect(first.body.success).toBe(true);
    const second = await sendVia(gateway, stack, templateMessage('promo_a'));
    expect(route(second)).toEqual(['marketing_messages', 'cached_marketing']);
    expect(await callsFor(sim.control, 'promo_a')).toMatchObject({ mm: 2, cloud: 0 });
    const ttl = await redis.ttl(cacheKey('promo_a'));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('learns an unknown utility template from the MM refusal and answers with the Cloud API result', async () => {
    const first = await sendVia(gateway, stack, templateMessage('util_a'));
    expect(first.status).toBe(200);
    expect(route(first)).toEqual(['cloud_api', 'checked_fallback']);
    expect(first.headers['x-gateway-mm-error-code']).toBe('134100');
    const { requests } = await callsFor(sim.control, 'util_a');
    expect(requests.map((r) => [r.endpoint, r.status])).toEqual([
      ['marketing_messages', 400],
      ['messages', 200],
    ]);
    expect(first.body.messages[0].id).toBe(requests[1]!.wamid);

    const second = await sendVia(gateway, stack, templateMessage('util_a'));
    expect(route(second)).toEqual(['cloud_api', 'cached_non_marketing']);
    expect(await callsFor(sim.control, 'util_a')).toMatchObject({ mm: 1, cloud: 2 });
  });

  it('sends a template the cache knows as marketing straight to the MM API', async () => {
    await redis.set(cacheKey('promo_b'), JSON.stringify({ c: 'marketing', src: 'sync', exp: Date.now() + 60_000 }), 'EX', 60);
    const answer = await sendVia(gateway, stack, templateMessage('promo_b'));
    expect(route(answer)).toEqual(['marketing_messages', 'cached_marketing']);
    expect(await callsFor(sim.control, 'promo_b')).toMatchObject({ mm: 1, cloud: 0 });
  });

  it('sends a template the cache knows as non-marketing straight to the Cloud API', async () => {
    await redis.set(cacheKey('promo_c'), JSON.stringify({ c: 'non_marketing', src: 'sync', exp: Date.now() + 60_000 }), 'EX', 60);
    const answer = await sendVia(gateway, stack, templateMessage('promo_c'));
    expect(route(answer)).toEqual(['cloud_api', 'cached_non_marketing']);
    expect(await callsFor(sim.control, 'promo_c')).toMatchObject({ mm: 0, cloud: 1 });
  });

  it('falls back to the Cloud API and relearns when a cached marketing category is stale', async () => {
    await redis.set(cacheKey('util_b'), JSON.stringify({ c: 'marketing', src: 'sync', exp: Date.now() + 60_000 }), 'EX', 60);
    const answer = await sendVia(gateway, stack, templateMessage('util_b'));
    expect(answer.status).toBe(200);
    expect(route(answer)).toEqual(['cloud_api', 'stale_fallback']);
    expect(JSON.parse((await redis.get(cacheKey('util_b')))!).c).toBe('non_marketing');
    expect(await callsFor(sim.control, 'util_b')).toMatchObject({ mm: 1, cloud: 1 });
  });

  it('uses checked routing when the category cache cannot be read', async () => {
    // A key of the wrong type makes Redis itself refuse the read (WRONGTYPE).
    await redis.rpush(cacheKey('promo_d'), 'not-a-category');
    const answer = await sendVia(gateway, stack, templateMessage('promo_d'));
    expect(answer.status).toBe(200);
    expect(route(answer)).toEqual(['marketing_messages', 'checked_accepted']);
    expect(await callsFor(sim.control, 'promo_d')).toMatchObject({ mm: 1, cloud: 0 });
  });

  it('treats en-US and en_US as the same template language', async () => {
    await sendVia(gateway, stack, templateMessage('promo_e', 'en_US'));
    const answer = await sendVia(gateway, stack, templateMessage('promo_e', 'en-US'));
    expect(route(answer)).toEqual(['marketing_messages', 'cached_marketing']);
  });
});

describe('POST /marketing_messages', () => {
  it('goes to the MM API only and never falls back', async () => {
    const answer = await sendVia(gateway, stack, templateMessage('util_c'), '/marketing_messages');
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe(134100);
    expect(route(answer)).toEqual(['marketing_messages', 'direct']);
    expect(await callsFor(sim.control, 'util_c')).toMatchObject({ mm: 1, cloud: 0 });
  });

  it('returns the MM API success unchanged', async () => {
    const answer = await sendVia(gateway, stack, templateMessage('promo_a'), '/marketing_messages');
    expect(answer.status).toBe(200);
    expect(route(answer)).toEqual(['marketing_messages', 'direct']);
    const last = (await callsFor(sim.control, 'promo_a')).requests.at(-1)!;
    expect(answer.body.messages[0].id).toBe(last.wamid);
  });
});

describe('Graph-compatible paths', () => {
  it('accept a Cloud API SDK call with only the base URL changed', async () => {
    const answer = await sendVia(gateway, stack, templateMessage('promo_a'), `/v24.0/${stack.phoneNumberId}/messages`);
    expect(answer.status).toBe(200);
    expect(route(answer)).toEqual(['marketing_messages', 'cached_marketing']);
    expect(answer.body.messaging_product).toBe('whatsapp');
  });

  it("refuse a phone number id that is not the key's stack", async () => {
    const before = (await sim.control.requests()).length;
    const answer = await sendVia(gateway, stack, templateMessage('promo_a'), `/v24.0/${optedOut.phoneNumberId}/messages`);
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({ code: 200, type: 'OAuthException' });
    expect((await sim.control.requests()).length).toBe(before);
  });

  it('accept the key in X-API-Key on the marketing_messages twin', async () => {
    const answer = await sendVia(gateway, { ...stack, apiKey: 'unused-bearer' }, templateMessage('promo_a'), `/v23.0/${stack.phoneNumberId}/marketing_messages`, {
      'x-api-key': stack.apiKey,
    });
    expect(answer.status).toBe(200);
    expect(route(answer)).toEqual(['marketing_messages', 'direct']);
  });
});

describe('under load', () => {
  it('answers 200 parallel sends, each exactly once and with its own message id', async () => {
    const sends = Array.from({ length: 200 }, (_, i) =>
      sendVia(gateway, stack, i % 2 ? templateMessage('promo_parallel', 'en_US', `+1555${i}`) : templateMessage('util_parallel', 'en_US', `+1555${i}`)),
    );
    const answers = await Promise.all(sends);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const ids = new Set(answers.map((a) => a.body.messages[0].id));
    expect(ids.size).toBe(200);
    for (const a of answers) expect(a.headers['x-gateway-route']).toBeDefined();
    const promo = await callsFor(sim.control, 'promo_parallel');
    const util = await callsFor(sim.control, 'util_parallel');
    // Every promo went to MM; every utility ended at Cloud exactly once.
    expect(promo.requests.filter((r) => r.status === 200 && r.endpoint === 'marketing_messages')).toHaveLength(100);
    expect(promo.cloud).toBe(0);
    expect(util.requests.filter((r) => r.endpoint === 'messages')).toHaveLength(100);
    const wamids = new Set([...promo.requests, ...util.requests].filter((r) => r.status === 200).map((r) => r.wamid));
    expect([...ids].every((id) => wamids.has(id))).toBe(true);
    // Sends that arrived in the same tick shared a queue job (`<job>.<item>`), each with its own id.
    const jobIds = answers.map((a) => String(a.headers['x-gateway-job-id']));
    expect(new Set(jobIds).size).toBe(200);
    const queueJobs = new Set(jobIds.map((id) => id.slice(0, id.lastIndexOf('.'))));
    expect(queueJobs.size).toBeLessThan(200);
  });
});
