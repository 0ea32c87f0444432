import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStack, post, sendVia, startGateway, startSimulator, textMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { metricSum, scrape } from '../support/metrics.ts';

/**
 * The ingress serves the send routes on a fast path beside Express's router (send-fast-path.ts):
 * what it takes must be answered and counted exactly as the routes the app registers would, and what
 * it declines must reach the app unchanged.
 */
const metricsToken = `metrics-${Date.now()}`;
const stack = makeStack();
let sim: Simulator;
let gateway: Gateway;

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack);
  gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, env: { METRICS_TOKEN: metricsToken } });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

describe('the send fast path', () => {
  it('sends on the short and the Graph forms, any case, a trailing slash and a query, and labels each by its registered pattern', async () => {
    for (const path of ['/messages', `/v24.0/${stack.phoneNumberId}/messages`, '/MESSAGES/', `/v24.0/${encodeURIComponent(stack.phoneNumberId)}/Messages?x=1`]) {
      const answer = await sendVia(gateway, stack, textMessage(), path);
      expect(answer.status, path).toBe(200);
      expect(answer.body.messages?.[0]?.id, path).toMatch(/^wamid\./);
      expect(answer.headers['x-gateway-route'], path).toBe('cloud_api');
    }
    const metrics = await scrape(gateway.url, metricsToken);
    expect(metricSum(metrics, 'gateway_http_request_duration_seconds_count', { method: 'POST', route: '/messages', status_class: '2xx' })).toBe(2);
    expect(metricSum(metrics, 'gateway_http_request_duration_seconds_count', { method: 'POST', route: '/:version/:phoneNumberId/messages', status_class: '2xx' })).toBe(2);
  });

  it("answers the app's errors: no key, another number, bad JSON, a body over BODY_LIMIT, an invalid payload", async () => {
    const unauthenticated = await post(`${gateway.url}/messages`, textMessage());
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.error).toMatchObject({ type: 'OAuthException', code: 190 });
    const other = await sendVia(gateway, stack, textMessage(), '/v24.0/999000999/messages');
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ code: 200, error_data: { details: expect.stringContaining('999000999') } });
    const badJson = await sendVia(gateway, stack, '{"messaging_product":');
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toMatchObject({ type: 'OAuthException', code: 100 });
    const huge = await sendVia(gateway, stack, { ...textMessage(), padding: 'x'.repeat(128 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatchObject({ code: 100, error_data: { details: expect.stringContaining('64kb') } });
    const invalid = await sendVia(gateway, stack, { messaging_product: 'whatsapp' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe(100);
  });

  it('leaves what it declines to the app: a version that is not a Graph version, a parameter that does not decode', async () => {
    const notAVersion = await sendVia(gateway, stack, textMessage(), `/V24.0/${stack.phoneNumberId}/messages`);
    expect(notAVersion.status).toBe(404);
    expect(notAVersion.body.error).toMatchObject({ code: 100, error_data: { details: `No route for POST /V24.0/${stack.phoneNumberId}/messages.` } });
    const undecodable = await sendVia(gateway, stack, textMessage(), '/v24.0/%E0%A4%A/messages');
    expect(undecodable.status).toBe(400);
    expect(undecodable.body.error).toMatchObject({ code: 100, error_data: { details: 'The request could not be read.' } });
  });
});
