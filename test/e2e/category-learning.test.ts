import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeStack, sendVia, startGateway, startSimulator, templateMessage, get, type Gateway, type Simulator } from '../support/harness.ts';
import { callsFor } from '../support/assertions.ts';

const stack = makeStack();
const ineligible = makeStack();
let sim: Simulator;
let gateway: Gateway;

const route = (r: { headers: Record<string, unknown> }) => [r.headers['x-gateway-route'], r.headers['x-gateway-route-reason']];
const categories = async () =>
  (await get(`${gateway.url}/templates/categories`, { authorization: `Bearer ${stack.apiKey}` })).body.data as Array<{ name: string; category: string; source: string }>;

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack);
  await sim.control.account(ineligible, { mmEligible: false });
  const marketing = ['p131055', 'p100', 'p_outage_1', 'p_outage_2', 'p_outage_3', 'p_outage_4', 'p_outage_5', 'p_timeout'];
  await sim.control.templates([
    ...marketing.map((name) => ({ wabaId: stack.wabaId, name, language: 'en_US', category: 'MARKETING' })),
    { wabaId: stack.wabaId, name: 'herd_utility', language: 'en_US', category: 'UTILITY' },
    { wabaId: ineligible.wabaId, name: 'promo_x', language: 'en_US', category: 'MARKETING' },
    { wabaId: ineligible.wabaId, name: 'promo_y', language: 'en_US', category: 'MARKETING' },
  ]);
  gateway = await startGateway({
    stacks: [stack, ineligible],
    metaUrl: sim.url,
    env: { META_TIMEOUT_MS: '500', MM_SYNCING_RETRY_SECONDS: '1', MM_BREAKER_THRESHOLD: '3', MM_BREAKER_OPEN_MS: '1500', PROBE_OUTCOME_TTL_MS: '300' },
  });
});

afterEach(async () => {
  await sim.control.clearFaults();
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

describe('learning by Meta error code', () => {
  it.each([131055])('caches non-marketing after MM error %i and falls back to the Cloud API', async (code) => {
    const name = `p${code}`;
    await sim.control.fault('marketing_messages', { error: { status: 400, code }, outage: true, remaining: 1 });
    const first = await sendVia(gateway, stack, templateMessage(name));
    expect(first.status).toBe(200);
    expect(route(first)).toEqual(['cloud_api', 'checked_fallback']);
    expect(first.headers['x-gateway-mm-error-code']).toBe(String(code));
    const next = await sendVia(gateway, stack, templateMessage(name));
    expect(route(next)).toEqual(['cloud_api', 'cached_non_marketing']);
    expect(await callsFor(sim.control, name)).toMatchObject({ mm: 1, cloud: 2 });
  });

  it('does not cache a syncing template as non-marketing, and sends it to MM once syncing ends', async () => {
    await sim.control.template(stack.wabaId, 'fresh_promo', 'MARKETING', { syncingForMs: 1500 });
    const first = await sendVia(gateway, stack, templateMessage('fresh_promo'));
    expect(route(first)).toEqual(['cloud_api', 'checked_fallback']);
    expect(first.headers['x-gateway-mm-error-code']).toBe('134101');
    const during = await sendVia(gateway, stack, templateMessage('fresh_promo'));
    expect(route(during)).toEqual(['cloud_api', 'template_syncing']);
    expect((await categories()).find((c) => c.name === 'fresh_promo')?.category).toBe('syncing');

    await new Promise((r) => setTimeout(r, 2100));
    const after = await sendVia(gateway, stack, templateMessage('fresh_promo'));
    expect(route(after)).toEqual(['marketing_messages', 'checked_accepted']);
    expect(await callsFor(sim.control, 'fresh_promo')).toMatchObject({ mm: 2, cloud: 2 });
  });

  it('remembers a WABA the MM API refuses (134102) instead of blaming each template', async () => {
    const first = await sendVia(gateway, ineligible, templateMessage('promo_x'));
    expect(first.status).toBe(200);
    expect(route(first)).toEqual(['cloud_api', 'checked_fallback']);
    expect(first.headers['x-gateway-mm-error-code']).toBe('134102');
    const other = await sendVia(gateway, ineligible, templateMessage('promo_y'));
    expect(route(other)).toEqual(['cloud_api', 'mm_waba_unavailable']);
    expect(await callsFor(sim.control, 'promo_y')).toMatchObject({ mm: 0, cloud: 1 });
    const cached = (await get(`${gateway.url}/templates/categories`, { authorization: `Bearer ${ineligible.apiKey}` })).body.data;
    expect(cached).toEqual([]);
  });

  it('falls back during an MM outage without marking templates non-marketing, opens the circuit, and recovers', async () => {
    await sim.control.fault('marketing_messages', { outage: true });
    const during = [];
    for (let i = 1; i <= 5; i++) during.push(await sendVia(gateway, stack, templateMessage(`p_outage_${i}`)));
    expect(during.every((a) => a.status === 200 && a.headers['x-gateway-route'] === 'cloud_api')).toBe(true);
    expect(during.slice(0, 3).map((a) => a.headers['x-gateway-route-reason'])).toEqual(Array(3).fill('checked_fallback'));
    // After three outages in a row the circuit is open: no more MM calls.
    expect(during.slice(3).map((a) => a.headers['x-gateway-route-reason'])).toEqual(['mm_circuit_open', 'mm_circuit_open']);
    expect((await callsFor(sim.control, 'p_outage_4')).mm).toBe(0);
    expect((await categories()).filter((c) => c.name.startsWith('p_outage'))).toEqual([]);

    await sim.control.clearFaults();
    await new Promise((r) => setTimeout(r, 1600));
    const recovered = await sendVia(gateway, stack, templateMessage('p_outage_1'));
    expect(route(recovered)).toEqual(['marketing_messages', 'checked_accepted']);
    expect(await categories()).toContainEqual(expect.objectContaining({ name: 'p_outage_1', category: 'marketing' }));
  });

  it('answers an MM timeout with a Meta-format 504 and sends nothing else (policy fail)', async () => {
    await sim.control.fault('marketing_messages', { hang: true, remaining: 1 });
    const answer = await sendVia(gateway, stack, templateMessage('p_timeout'));
    expect([answer.status, answer.headers['x-gateway-route-reason']]).toEqual([504, 'mm_timeout']);
    expect(answer.body.error.error_data.details).toMatch(/may or may not have been delivered/);
    expect(route(answer)).toEqual(['marketing_messages', 'mm_timeout']);
    expect(await callsFor(sim.control, 'p_timeout')).toMatchObject({ mm: 1, cloud: 0 });
  });
});

describe('MM_TIMEOUT_POLICY=fallback', () => {
  it('sends via the Cloud API after an MM timeout and says so', async () => {
    const fallbackGateway = await startGateway({ stacks: [stack], metaUrl: sim.url, env: { META_TIMEOUT_MS: '500', MM_TIMEOUT_POLICY: 'fallback' } });
    try {
      await sim.control.template(stack.wabaId, 'p_timeout_fb', 'MARKETING');
      await sim.control.fault('marketing_messages', { hang: true, remaining: 1 });
      const answer = await sendVia(fallbackGateway, stack, templateMessage('p_timeout_fb'));
      expect(answer.status).toBe(200);
      expect(route(answer)).toEqual(['cloud_api', 'checked_fallback']);
      expect(await callsFor(sim.control, 'p_timeout_fb')).toMatchObject({ mm: 1, cloud: 1 });
    } finally {
      await fallbackGateway.stop();
    }
  });
});

describe('no thundering herd', () => {
  it('sends 100 concurrent first sends of an unknown utility template with one MM call and 100 Cloud calls', async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => sendVia(gateway, stack, templateMessage('herd_utility', 'en_US', `+1555000${i}`))));
    expect(answers.every((a) => a.status === 200 && a.headers['x-gateway-route'] === 'cloud_api')).toBe(true);
    expect(await callsFor(sim.control, 'herd_utility')).toMatchObject({ mm: 1, cloud: 100 });
  });
});
