import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import {
  get,
  ingressOpsUrl,
  makeStack,
  post,
  startGateway,
  startSimulator,
  type Gateway,
  type HttpAnswer,
  type Simulator,
} from '../support/harness.ts';
import { parseMetrics } from '../support/metrics.ts';
import { webhookEnv, webhookSecrets } from '../support/webhooks.ts';

/**
 * What a security probe of a live gateway found (issue #18), each checked
 * through the real processes: one gateway in store mode, no METRICS_TOKEN.
 */
const secrets = webhookSecrets();
const encryptionKey = randomBytes(32).toString('base64');
const seeded = makeStack();
let sim: Simulator;
let gateway: Gateway;

async function call(method: string, url: string, headers: Record<string, string> = {}, body?: string): Promise<HttpAnswer> {
  const response = await request(url, { method: method as 'GET', headers, body });
  const text = await response.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.statusCode, headers: response.headers, body: parsed, text };
}

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(seeded);
  gateway = await startGateway({
    stacks: [seeded],
    metaUrl: sim.url,
    env: webhookEnv(secrets, { STACKS_ENCRYPTION_KEY: encryptionKey }),
  });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

describe('/metrics', () => {
  it('labels requests from a fixed set of route patterns: case variants and unknown paths add no series', async () => {
    const variants = ['/ADMIN/stacks', '/Admin/Stacks', '/aDmIn/sTaCkS/x', '/ADMIN/QUEUES/api/queues', '/TEMPLATES/categories'];
    for (let i = 0; i < 40; i++) {
      await get(`${gateway.url}${variants[i % variants.length]}`);
      await get(`${gateway.url}/no-such-path-${i}`);
      await post(`${gateway.url}/Messages-${i}`, {});
    }
    const text = (await get(`${ingressOpsUrl(gateway.ingresses[0]!)}/metrics`)).text;
    const routes = new Set(parseMetrics(text).filter((s) => s.name === 'gateway_http_request_duration_seconds_count').map((s) => s.labels.route));
    expect([...routes].every((route) => route === route?.toLowerCase() || route?.includes(':'))).toBe(true);
    expect(routes.has('unmatched')).toBe(true);
    expect(routes.has('/admin/stacks/*')).toBe(true);
    expect([...routes].some((route) => /no-such-path|Messages-|ADMIN|Admin|TEMPLATES/.test(route ?? ''))).toBe(false);
    expect(routes.size).toBeLessThanOrEqual(6);
  });

  it('is off the public port without METRICS_TOKEN, and served on the operations port', async () => {
    const refused = await get(`${gateway.url}/metrics`);
    expect(refused.status).toBe(404);
    expect(refused.body.error).toMatchObject({ code: 100 });
    expect(refused.text).not.toContain('gateway_');
    const ops = await get(`${ingressOpsUrl(gateway.ingresses[0]!)}/metrics`);
    expect(ops.status).toBe(200);
    expect(ops.text).toContain('gateway_http_request_duration_seconds');
    expect((await get(`${ingressOpsUrl(gateway.ingresses[0]!)}/admin/stacks`)).status).toBe(404);
  });
});
