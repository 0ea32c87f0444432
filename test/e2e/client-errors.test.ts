import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, makeStack, post, sendVia, startGateway, startSimulator, templateMessage, type Gateway, type Simulator } from '../support/harness.ts';

const stack = makeStack();
let sim: Simulator;
let gateway: Gateway;

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack);
  await sim.control.template(stack.wabaId, 'promo', 'MARKETING');
  gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, env: { BODY_LIMIT: '8kb' } });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

function expectMetaError(answer: { status: number; body: any; headers: Record<string, unknown> }, status: number, code: number) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/application\/json/);
  expect(answer.body.error).toMatchObject({ code, type: expect.any(String), message: expect.stringMatching(/^\(#\d+\) /) });
  expect(answer.body.error.fbtrace_id).toEqual(expect.any(String));
}

describe('errors the gateway produces', () => {
  it('refuses a request without an API key with a Meta-format 401', async () => {
    expectMetaError(await post(`${gateway.url}/messages`, templateMessage('promo')), 401, 190);
  });

  it('refuses an unknown API key with a Meta-format 401', async () => {
    expectMetaError(await post(`${gateway.url}/messages`, templateMessage('promo'), { authorization: 'Bearer nope' }), 401, 190);
  });

  it('answers malformed JSON with a Meta-format 400', async () => {
    expectMetaError(await sendVia(gateway, stack, '{"messaging_product":'), 400, 100);
  });

  it('answers a body over the limit with a Meta-format 413', async () => {
    const huge = { ...templateMessage('promo'), padding: 'x'.repeat(20_000) };
    expectMetaError(await sendVia(gateway, stack, huge), 413, 100);
  });

  it('names the missing field of an invalid message', async () => {
    const { to: _omit, ...noRecipient } = templateMessage('promo');
    const answer = await sendVia(gateway, stack, noRecipient);
    expectMetaError(answer, 400, 100);
    expect(answer.body.error.error_data.details).toContain('"to"');
  });

  it('refuses a JSON array body', async () => {
    expectMetaError(await sendVia(gateway, stack, '[1,2]'), 400, 100);
  });

  it('answers an unknown path with a Meta-format 404, not an HTML page', async () => {
    expectMetaError(await sendVia(gateway, stack, {}, '/nope'), 404, 100);
    expectMetaError(await sendVia(gateway, stack, templateMessage('promo'), `/latest/${stack.phoneNumberId}/messages`), 404, 100);
  });

  it('sends nothing to Meta for any refused request', async () => {
    expect(await sim.control.requests()).toEqual([]);
  });

  it('keeps /healthz and /readyz answering', async () => {
    expect((await get(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await get(`${gateway.url}/readyz`)).body).toMatchObject({ status: 'ready' });
  });
});
