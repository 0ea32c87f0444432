import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeStack, sendVia, startGateway, startSimulator, templateMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { callsFor } from '../support/assertions.ts';

const stack = makeStack();
let sim: Simulator;
let gateway: Gateway;

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack);
  await sim.control.template(stack.wabaId, 'renamed_promo', 'UTILITY');
  gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, env: { CATEGORY_TTL_SECONDS: '1' } });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

it('relearns a template category once its cache entry expires', async () => {
  const first = await sendVia(gateway, stack, templateMessage('renamed_promo'));
  expect(first.headers['x-gateway-route-reason']).toBe('checked_fallback');
  const cached = await sendVia(gateway, stack, templateMessage('renamed_promo'));
  expect(cached.headers['x-gateway-route-reason']).toBe('cached_non_marketing');

  // Meta recategorises the template; the gateway notices only after the TTL.
  await sim.control.template(stack.wabaId, 'renamed_promo', 'MARKETING');
  await new Promise((r) => setTimeout(r, 1500));
  const relearned = await sendVia(gateway, stack, templateMessage('renamed_promo'));
  expect(relearned.headers['x-gateway-route']).toBe('marketing_messages');
  expect(relearned.headers['x-gateway-route-reason']).toBe('checked_accepted');
  expect(await callsFor(sim.control, 'renamed_promo')).toMatchObject({ mm: 2, cloud: 2 });
});
