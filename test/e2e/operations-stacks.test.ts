import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { redisKeys } from '@gw/contracts';
import { get, makeStack, post, startGateway, startSimulator, templateMessage, type Gateway, type HttpAnswer, type Simulator, type TestStack } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { dumpPrefix } from '../support/redis-dump.ts';
import { verifySignatures, WebhookReceiver } from '../support/webhook-receiver.ts';
import { webhookEnv, webhookSecrets } from '../support/webhooks.ts';

const secrets = webhookSecrets();
const encryptionKey = randomBytes(32).toString('base64');
const metricsToken = `metrics-${randomBytes(8).toString('hex')}`;
const seeded = makeStack({ webhookSecret: 'seeded-webhook-secret-value' });
const created = makeStack();
const createdHookSecret = `created-hook-${randomBytes(8).toString('hex')}`;
let receiver: WebhookReceiver;
let sim: Simulator;
let gateway: Gateway;
let redis: Redis;
/** Every secret of this run: none may show in Redis in clear or in any process's output. */
const leaks = new Set<string>([
  secrets.adminToken,
  secrets.appSecret,
  secrets.verifyToken,
  encryptionKey,
  metricsToken,
  seeded.apiKey,
  seeded.accessToken,
  created.accessToken,
  createdHookSecret,
  'seeded-webhook-secret-value',
]);

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, token = secrets.adminToken): Promise<HttpAnswer> {
  const response = await request(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body: text ? JSON.parse(text) : undefined, text };
}

const admin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => call(method, `${gateway.url}/admin/stacks${path}`, body);
const sendWithKey = (base: string, apiKey: string, name = 'st_promo') => post(`${base}/messages`, templateMessage(name), { authorization: `Bearer ${apiKey}` });

beforeAll(async () => {
  receiver = await WebhookReceiver.start(createdHookSecret);
  sim = await startSimulator();
  for (const s of [seeded, created]) await sim.control.account(s);
  await sim.control.templates([
    { wabaId: seeded.wabaId, name: 'st_promo', language: 'en_US', category: 'MARKETING' },
    { wabaId: created.wabaId, name: 'st_promo', language: 'en_US', category: 'MARKETING' },
  ]);
  gateway = await startGateway({
    stacks: [seeded],
    metaUrl: sim.url,
    ingresses: 2,
    env: webhookEnv(secrets, { STACKS_ENCRYPTION_KEY: encryptionKey, METRICS_TOKEN: metricsToken, LOG_LEVEL: 'debug' }),
  });
  redis = new Redis(gateway.redisUrl);
  await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret, statuses: { sent: { delayMs: 10 } } });
});

afterAll(async () => {
  redis?.disconnect();
  await gateway?.stop();
  await sim?.stop();
  await receiver?.close();
});

describe('stacks seeded from STACKS_FILE', () => {
  it('serves the file stack from Redis, its API key stored only as a hash', async () => {
    expect((await sendWithKey(gateway.url, seeded.apiKey)).status).toBe(200);
    const listed = await admin('GET', '');
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([expect.objectContaining({ id: seeded.id, source: 'file', hasWebhookSecret: true, webhookUrl: null })]);
  });
});

describe('creating a stack at run time', () => {
  let apiKey: string;

  it('shows the new API key once, and never a secret afterwards', async () => {
    const answer = await admin('POST', '', {
      id: created.id,
      phoneNumberId: created.phoneNumberId,
      wabaId: created.wabaId,
      accessToken: created.accessToken,
      webhookUrl: receiver.url,
      webhookSecret: createdHookSecret,
    });
    expect(answer.status).toBe(201);
    apiKey = answer.body.apiKey;
    expect(apiKey).toMatch(/^gwk_[\w-]{43}$/);
    leaks.add(apiKey);
    expect(answer.body).toMatchObject({ id: created.id, hasWebhookSecret: true, source: 'api', mmRouting: true, messagesPerSecond: 80 });
    const read = await admin('GET', `/${created.id}`);
    expect(read.body).toMatchObject({ id: created.id, webhookUrl: receiver.url, hasWebhookSecret: true });
    expect(read.body.apiKey).toBeUndefined();
    expect(read.text).not.toContain(created.accessToken);
    expect(read.text).not.toContain(createdHookSecret);
  });

  it('accepts the new key on every ingress, and the worker sends with the decrypted Meta token', async () => {
    for (const url of gateway.urls) {
      const sent = await waitFor('the key on this ingress', async () => {
        const answer = await sendWithKey(url, apiKey);
        return answer.status === 200 ? answer : undefined;
      });
      expect(sent.headers['x-gateway-route']).toBe('marketing_messages');
    }
    const calls = await sim.control.requests({ phoneNumberId: created.phoneNumberId });
    expect(calls.length).toBe(2);
  });

  it('signs its forwarded webhooks with the decrypted webhook secret', async () => {
    await waitFor('a forwarded webhook', async () => receiver.delivered.length > 0, 15_000);
    expect(verifySignatures(receiver.delivered[0]!, createdHookSecret)).toEqual({ hub: true, standard: true });
  });

  it('refuses a taken id or phone number with 409, a bad field with 400 naming it, and an unknown id with 404', async () => {
    const base = { id: created.id, phoneNumberId: '999000111', wabaId: '1', accessToken: 'x' };
    expect((await admin('POST', '', base)).status).toBe(409);
    const phoneTaken = await admin('POST', '', { ...base, id: `other-${Date.now()}`, phoneNumberId: seeded.phoneNumberId });
    expect(phoneTaken.status).toBe(409);
    expect(phoneTaken.body.error.error_data.details).toMatch(/phoneNumberId/);
    const bad = await admin('POST', '', { ...base, id: `bad-${Date.now()}`, webhookUrl: 'ftp://x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.error_data.details).toContain('"webhookUrl"');
    const missing = await admin('GET', '/no-such-stack');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 100, fbtrace_id: expect.any(String) });
    expect((await call('GET', `${gateway.url}/admin/stacks`, undefined, 'wrong-token')).status).toBe(401);
  });

  it('applies an update on every process: routing off sends via the Cloud API', async () => {
    const updated = await admin('PATCH', `/${created.id}`, { mmRouting: false });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ mmRouting: false, version: 2 });
    await waitFor('the worker to follow', async () => (await sendWithKey(gateway.urls[1]!, apiKey)).headers['x-gateway-route-reason'] === 'routing_disabled');
  });

  it('rotates the API key without downtime: old and new work during the grace period, then only the new', async () => {
    const rotated = await admin('POST', `/${created.id}/api-key/rotate`, { graceSeconds: 2 });
    expect(rotated.status).toBe(200);
    const next: string = rotated.body.apiKey;
    leaks.add(next);
    expect(next).not.toBe(apiKey);
    expect(rotated.body.apiKeys).toHaveLength(2);
    for (const url of gateway.urls) {
      await waitFor('the new key', async () => (await sendWithKey(url, next)).status === 200);
      expect((await sendWithKey(url, apiKey)).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 2100));
    for (const url of gateway.urls) {
      expect((await sendWithKey(url, apiKey)).status).toBe(401);
      expect((await sendWithKey(url, next)).status).toBe(200);
    }
    apiKey = next;
  });

  it('keeps no secret in Redis in clear: not in the stack store, not in job data', async () => {
    const dump = await dumpPrefix(redis, gateway.prefix);
    const sendJobs = [...dump.keys()].filter((k) => k.startsWith(`${gateway.prefix}:send:`) && /:send:[0-9a-f-]{36}$/.test(k));
    expect(sendJobs.length).toBeGreaterThan(3);
    expect(dump.has(redisKeys(gateway.prefix).stacks())).toBe(true);
    for (const [key, value] of dump) for (const secret of leaks) if (value.includes(secret)) throw new Error(`${key} holds a secret in clear`);
  });

  it('deletes a stack: its key stops working everywhere', async () => {
    expect((await admin('DELETE', `/${created.id}`)).body).toEqual({ id: created.id, deleted: true });
    for (const url of gateway.urls) await waitFor('the key refused', async () => (await sendWithKey(url, apiKey)).status === 401);
    expect((await admin('DELETE', `/${created.id}`)).status).toBe(404);
  });

  it('does not bring back a deleted file stack when a process starts and seeds again', async () => {
    expect((await admin('DELETE', `/${seeded.id}`)).status).toBe(200);
    await gateway.startWorker();
    expect((await admin('GET', `/${seeded.id}`)).status).toBe(404);
  });
});

describe('secrets', () => {
  it('never appear in any process output at LOG_LEVEL=debug', async () => {
    // Every code path of this file ran with debug logs: sends, webhooks, admin calls, rotation, a login.
    const login = await post(`${gateway.url}/admin/login`, { token: secrets.adminToken });
    expect(login.status).toBe(200);
    expect((await get(`${gateway.url}/metrics`, { authorization: `Bearer ${metricsToken}` })).status).toBe(200);
    const processes = [...gateway.ingresses, ...gateway.workers, sim.service];
    // The debug lines really were written (pino level 20), so the check below means something.
    expect(gateway.ingresses[0]!.output.join('')).toContain('"level":20');
    for (const service of processes) {
      const output = service.output.join('');
      for (const secret of leaks) if (output.includes(secret)) throw new Error(`${service.name} printed a secret`);
    }
  });

  it('logs one structured line per send with route, reason, wamid, stack id, queue wait and durations', () => {
    const lines = gateway.workers
      .flatMap((w) => w.output.join('').split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, any>)
      .filter((line) => line.msg === 'send' && line.route === 'marketing_messages');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatchObject({
      stackId: expect.any(String),
      jobId: expect.any(String),
      route: 'marketing_messages',
      reason: expect.any(String),
      wamid: expect.stringMatching(/^wamid\./),
      queueWaitMs: expect.any(Number),
      durationMs: expect.any(Number),
      metaMs: expect.any(Number),
      metaCalls: [expect.objectContaining({ endpoint: 'marketing_messages', status: 200, ms: expect.any(Number) })],
    });
    expect(JSON.stringify(lines[0])).not.toContain('+15550001234');
  });
});
