import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, type Job } from 'bullmq';
import { JOBS, QUEUES } from '@gw/contracts';
import { redisOptionsFromUrl } from '@gw/config';
import { ENTRY_POINTS, startService } from '@gw/process-tools';
import { request } from 'undici';
import {
  get,
  ingressOpsUrl,
  uniquePrefix,
  makeStack,
  post,
  readAnswer,
  sendVia,
  textMessage,
  startGateway,
  startSimulator,
  type Gateway,
  type HttpAnswer,
  type Simulator,
} from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { parseMetrics } from '../support/metrics.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { adminClient, envelope, postToMetaWebhook, sentStatus, statusChange, wamid, webhookEnv, webhookSecrets } from '../support/webhooks.ts';

/**
 * What a security probe of a live gateway found (issue #18), each checked
 * through the real processes: one gateway in store mode, no METRICS_TOKEN.
 */
const secrets = webhookSecrets();
const encryptionKey = randomBytes(32).toString('base64');
const seeded = makeStack();
const rated = makeStack();
const busy = makeStack();
const warming = makeStack();
let receiver: WebhookReceiver;
let sim: Simulator;
let gateway: Gateway;

async function call(method: string, url: string, headers: Record<string, string> = {}, body?: string): Promise<HttpAnswer> {
  return readAnswer(await request(url, { method: method as 'GET', headers, body }));
}

const adminAuth = () => ({ authorization: `Bearer ${secrets.adminToken}`, 'content-type': 'application/json' });
const adminCall = (method: string, path: string, body?: unknown) => call(method, `${gateway.url}${path}`, adminAuth(), body === undefined ? undefined : JSON.stringify(body));

beforeAll(async () => {
  receiver = await WebhookReceiver.start('recreated-hook-secret');
  sim = await startSimulator();
  for (const s of [seeded, rated, busy, warming]) await sim.control.account(s);
  await sim.control.templates([{ wabaId: warming.wabaId, name: 'warm_promo', language: 'en_US', category: 'MARKETING' }]);
  gateway = await startGateway({
    stacks: [seeded, rated, busy, warming],
    metaUrl: sim.url,
    env: webhookEnv(secrets, {
      STACKS_ENCRYPTION_KEY: encryptionKey,
      STACK_RATE_LIMIT_PER_SECOND: '10',
      STACK_MAX_IN_FLIGHT: '5',
      WARMUP_MAX_QUEUED_PER_STACK: '2',
      // Tests name their client in X-Forwarded-For (the throttle counts per client).
      TRUST_PROXY: 'loopback',
      AUTH_FAILURE_LIMIT: '10',
    }),
  });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
  await receiver?.close();
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
    const routes = new Set(
      parseMetrics(text)
        .filter((s) => s.name === 'gateway_http_request_duration_seconds_count')
        .map((s) => s.labels.route),
    );
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

describe('a stack deleted and created again under the same id', () => {
  it('inherits nothing: no idempotent replays, no warm-up jobs, no parked webhook deliveries', async () => {
    const old = makeStack({ webhookUrl: receiver.url, webhookSecret: receiver.secret });
    await sim.control.account(old);
    await sim.control.templates([{ wabaId: old.wabaId, name: 'reuse_promo', language: 'en_US', category: 'MARKETING' }]);
    const { apiKey, ...fields } = old;
    expect((await adminCall('POST', '/admin/stacks', { ...fields, apiKey })).status).toBe(201);
    const auth = { authorization: `Bearer ${apiKey}` };
    const message = { messaging_product: 'whatsapp', to: '+15550001234', type: 'template', template: { name: 'reuse_promo', language: { code: 'en_US' } } };

    // The old tenant: an idempotent send, a warm-up, and a webhook its endpoint refuses until it is parked.
    const first = await post(`${gateway.url}/messages`, message, { ...auth, 'idempotency-key': 'reused-key' });
    expect(first.status).toBe(200);
    const warmup = await post(`${gateway.url}/templates/warmup`, {}, auth);
    expect(warmup.status).toBe(202);
    receiver.respond(() => ({ status: 500 }));
    expect((await postToMetaWebhook(gateway, envelope(old.wabaId, [statusChange(old, [sentStatus(wamid())])]), secrets.appSecret)).status).toBe(200);
    const admin = adminClient(gateway, secrets.adminToken);
    await waitFor("the old stack's delivery parked", async () => (await admin.list({ stackId: old.id })).body.data.length === 1, 15_000);
    const parked = (await admin.list({ stackId: old.id })).body.data[0];

    // Deleted, then created again with the same id (and a new key).
    expect((await adminCall('DELETE', `/admin/stacks/${old.id}`)).status).toBe(200);
    const again = { ...fields, apiKey: `key-${randomBytes(12).toString('hex')}` };
    expect((await adminCall('POST', '/admin/stacks', again)).status).toBe(201);
    const newAuth = { authorization: `Bearer ${again.apiKey}` };
    receiver.respond(() => ({ status: 200 }));
    const before = receiver.requests.length;

    const repeat = await post(`${gateway.url}/messages`, message, { ...newAuth, 'idempotency-key': 'reused-key' });
    expect(repeat.status).toBe(200);
    expect(repeat.headers['x-gateway-idempotent-replay']).toBeUndefined();
    expect(repeat.body.messages[0].id).not.toBe(first.body.messages[0].id);

    expect((await get(`${gateway.url}/templates/warmup/${warmup.body.id}`, newAuth)).status).toBe(404);

    expect((await admin.list({ stackId: old.id })).body.data).toEqual([]);
    expect((await admin.replayMany({ stackId: old.id })).body).toMatchObject({ matched: 0, replayed: 0 });
    // Replaying the old delivery by its id parks it again instead of sending it to the new stack.
    await admin.replay(parked.id);
    await waitFor(
      'the replayed delivery parked again',
      async () => {
        const all = (await admin.list()).body.data as Array<{ id: string; reason: string }>;
        return all.some((d) => d.id === parked.id && d.reason.includes('was deleted'));
      },
      15_000,
    );
    expect(receiver.requests.length).toBe(before);
  });
});

describe('per-stack limits', () => {
  const expectLimit = (answer: HttpAnswer) => {
    expect(answer.status).toBe(429);
    expect(answer.body.error).toMatchObject({ code: 4, type: 'OAuthException', is_transient: true });
    expect(answer.headers['retry-after']).toBeDefined();
  };

  it("refuses sends over the stack's rate with a Meta-format 429, and leaves other stacks alone", async () => {
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < 40; i++) answers.push(await sendVia(gateway, rated, textMessage(`hi ${i}`)));
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(10);
    expect(refused.length).toBeGreaterThan(0);
    expectLimit(refused[0]!);
    expect(refused[0]!.body.error.error_data.details).toContain('sends per second');
    expect((await sendVia(gateway, seeded, textMessage())).status).toBe(200);
  });

  it("caps a stack's sends in flight", async () => {
    await sim.control.fault('messages', { latencyMs: 1500 });
    try {
      const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => sendVia(gateway, busy, textMessage(`slow ${i}`))));
      expect(answers.filter((a) => a.status === 200).length).toBe(5);
      const refused = answers.filter((a) => a.status === 429);
      expect(refused.length).toBe(4);
      expectLimit(refused[0]!);
      expect(refused[0]!.body.error.error_data.details).toContain('in flight');
    } finally {
      await sim.control.clearFaults();
    }
  });

  it('caps the warm-ups a stack has queued or running', async () => {
    await sim.control.fault('message_templates', { latencyMs: 3000 });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(`${gateway.url}/templates/warmup`, {}, { authorization: `Bearer ${warming.apiKey}` })));
      expect(answers.filter((a) => a.status === 202).length).toBe(2);
      const refused = answers.filter((a) => a.status === 429);
      expect(refused.length).toBe(18);
      expectLimit(refused[0]!);
      expect(refused[0]!.body.error.error_data.details).toContain('warm-ups');
    } finally {
      await sim.control.clearFaults();
    }
  });

  it('refuses a body far over any WhatsApp message (default BODY_LIMIT 64kb) and accepts a long text', async () => {
    const long = await sendVia(gateway, seeded, textMessage('é'.repeat(4096)));
    expect(long.status).toBe(200);
    const huge = await sendVia(gateway, seeded, { ...textMessage(), padding: 'x'.repeat(100_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe(100);
  });

  it('keeps no message in a finished send job: no recipient, no content', async () => {
    const answer = await sendVia(gateway, seeded, textMessage('secret words', '+15557654321'));
    expect(answer.status).toBe(200);
    const batchId = String(answer.headers['x-gateway-job-id']).replace(/\.\d+$/, '');
    const queue = new Queue(QUEUES.send, { connection: { ...redisOptionsFromUrl(gateway.redisUrl), maxRetriesPerRequest: null }, prefix: gateway.prefix });
    try {
      let jobs: Job[] = [];
      await waitFor('every send job stripped', async () => {
        jobs = await queue.getJobs(['waiting', 'active', 'completed', 'failed']);
        return !JSON.stringify(jobs.map((job) => job.data)).includes('secret words');
      });
      expect(JSON.stringify(jobs.map((job) => job.data))).not.toContain('15557654321');
      // A job per batch keeps the send's shape; with a send carrier (what `pnpm gateway` runs by default), the
      // carrier's job names only its lane, and the send's batch never was a job.
      const batch = jobs.find((job) => job.id === batchId);
      if (batch) expect(JSON.stringify(batch.data)).toContain('"type":"text"');
      else expect(jobs.filter((job) => job.name === JOBS.sendCarrier.name).map((job) => Object.keys(job.data).sort())).toContainEqual(['keepSeconds', 'lane']);
    } finally {
      await queue.close();
    }
  });
});

describe('the admin login cookie', () => {
  it('answers a malformed cookie like no cookie: no 500, no stack trace in the log', async () => {
    const ingress = gateway.ingresses[0]!;
    const logBefore = ingress.output.length;
    const api = await call('GET', `${gateway.url}/admin/queues/api/queues`, { cookie: 'gw_admin_session=%E0%A4%A' });
    expect(api.status).toBe(401);
    expect(api.body.error.code).toBe(190);
    const page = await call('GET', `${gateway.url}/admin/queues`, { cookie: 'gw_admin_session=%E0%A4%A', accept: 'text/html' });
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/admin/login');
    await new Promise((r) => setTimeout(r, 100));
    const log = ingress.output.slice(logBefore).join('');
    expect(log).not.toMatch(/URIError|at decodeURIComponent|unhandled ingress error/);
  });
});

describe('the admin login page', () => {
  it('shows a wrong token on the page itself: the form again with an error, HTTP 401', async () => {
    const form = await call('POST', `${gateway.url}/admin/login`, { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, 'token=wrong-token');
    expect(form.status).toBe(401);
    expect(form.headers['content-type']).toContain('text/html');
    expect(form.text).toContain('Wrong admin token');
    expect(form.text).toContain('<form method="post" action="/admin/login">');
    expect(form.headers['set-cookie']).toBeUndefined();
    // An API client still gets Meta's envelope.
    const json = await call('POST', `${gateway.url}/admin/login`, { 'content-type': 'application/json' }, JSON.stringify({ token: 'wrong-token' }));
    expect(json.status).toBe(401);
    expect(json.body.error.code).toBe(190);
  });
});

describe('failed authentication', () => {
  it('throttles a client guessing API keys: 429 code 4 for every attempt, even a right key, while other clients go on', async () => {
    const guesser = { 'x-forwarded-for': '203.0.113.7' };
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < 15; i++) answers.push(await post(`${gateway.url}/messages`, textMessage(), { ...guesser, authorization: `Bearer guess-${i}-0123456789abcdef` }));
    expect(answers.slice(0, 10).every((a) => a.status === 401)).toBe(true);
    expect(answers.slice(10).every((a) => a.status === 429)).toBe(true);
    expect(answers[10]!.body.error).toMatchObject({ code: 4, type: 'OAuthException' });
    expect(Number(answers[10]!.headers['retry-after'])).toBeGreaterThan(0);
    // Right or wrong, the throttled client learns nothing.
    expect((await post(`${gateway.url}/messages`, textMessage(), { ...guesser, authorization: `Bearer ${seeded.apiKey}` })).status).toBe(429);
    expect((await post(`${gateway.url}/messages`, textMessage(), { 'x-forwarded-for': '203.0.113.8', authorization: `Bearer ${seeded.apiKey}` })).status).toBe(200);
  });

  it('throttles guessing of the admin token, on the API and the login form', async () => {
    const guesser = { 'x-forwarded-for': '203.0.113.9' };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call('GET', `${gateway.url}/admin/stacks`, { ...guesser, authorization: `Bearer wrong-admin-token-${i}-0123456789` })).status);
    for (let i = 0; i < 6; i++) {
      statuses.push((await call('POST', `${gateway.url}/admin/login`, { ...guesser, 'content-type': 'application/json' }, JSON.stringify({ token: `wrong-${i}` }))).status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect((await call('GET', `${gateway.url}/admin/stacks`, { ...guesser, authorization: `Bearer ${secrets.adminToken}` })).status).toBe(429);
    expect((await call('GET', `${gateway.url}/admin/stacks`, { 'x-forwarded-for': '203.0.113.10', authorization: `Bearer ${secrets.adminToken}` })).status).toBe(200);
  });

  it('refuses to start with a short ADMIN_TOKEN, naming the variable but not its value', async () => {
    const start = startService({
      name: 'ingress',
      entry: ENTRY_POINTS.ingress,
      env: { ...gateway.env, ADMIN_TOKEN: 'short-token-xyz', PORT: '0', HOST: '127.0.0.1', REDIS_KEY_PREFIX: uniquePrefix() },
      timeoutMs: 20_000,
    });
    const error = await start.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain('ADMIN_TOKEN');
    expect(error?.message).toContain('24 characters');
    expect(error?.message).not.toContain('short-token-xyz');
  });
});

describe('admin sessions', () => {
  const login = (headers: Record<string, string> = {}) =>
    call('POST', `${gateway.url}/admin/login`, { 'content-type': 'application/json', ...headers }, JSON.stringify({ token: secrets.adminToken }));
  const cookieOf = (answer: HttpAnswer) => String(answer.headers['set-cookie']).split(';')[0]!;
  const queues = (cookie: string) => call('GET', `${gateway.url}/admin/queues/api/queues`, { cookie });

  it('are distinct for every login, even in the same second, and end on logout on the server', async () => {
    const [a, b] = await Promise.all([login(), login()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(cookieOf(a)).not.toBe(cookieOf(b));
    expect((await queues(cookieOf(a))).status).toBe(200);
    const out = await call('POST', `${gateway.url}/admin/logout`, { cookie: cookieOf(a), 'content-type': 'application/json' }, '{}');
    expect(out.status).toBe(200);
    // The browser would drop the cookie; someone who kept it gets nothing.
    expect((await queues(cookieOf(a))).status).toBe(401);
    expect((await queues(cookieOf(b))).status).toBe(200);
  });

  it('set Secure behind a chained X-Forwarded-Proto', async () => {
    expect(String((await login({ 'x-forwarded-proto': 'https, http' })).headers['set-cookie'])).toContain('Secure');
    expect(String((await login({ 'x-forwarded-proto': 'https' })).headers['set-cookie'])).toContain('Secure');
    expect(String((await login()).headers['set-cookie'])).not.toContain('Secure');
  });

  it('refuse Bull Board state-changing calls from a foreign Origin', async () => {
    const cookie = cookieOf(await login());
    const resume = (headers: Record<string, string>) => call('PUT', `${gateway.url}/admin/queues/api/queues/webhook-inbound/resume`, { cookie, ...headers });
    const foreign = await resume({ origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe(200);
    expect((await resume({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const own = await resume({ origin: gateway.url });
    expect(own.status).not.toBe(403);
    expect(own.status).toBeLessThan(300);
  });
});

describe('the webhook destination guard (private URLs not allowed)', () => {
  const urls = [
    'https://[::ffff:0:7f00:1]/hook',
    'https://[fec0::1]/hook',
    'https://[2002:7f00:1::1]/hook',
    'https://[2001::7f00:1]/hook',
    'https://[64:ff9b:1::a00:1]/hook',
    'https://[::a00:1]/hook',
    'http://8.8.8.8:22/hook',
  ];
  const stacks = urls.map((url) => makeStack({ webhookUrl: url, webhookSecret: 'guarded-hook-secret' }));
  let guarded: Gateway;

  beforeAll(async () => {
    for (const s of stacks) await sim.control.account(s);
    guarded = await startGateway({ stacks, metaUrl: sim.url, env: { ...webhookEnv(secrets), WEBHOOK_ALLOW_PRIVATE_URLS: 'false' } });
  });
  afterAll(async () => {
    await guarded?.stop();
  });

  it('parks deliveries to the IPv6 translation and site-local ranges and to system ports, saying why', async () => {
    for (const s of stacks) {
      expect((await postToMetaWebhook(guarded, envelope(s.wabaId, [statusChange(s, [sentStatus(wamid())])]), secrets.appSecret)).status).toBe(200);
    }
    const admin = adminClient(guarded, secrets.adminToken);
    let parked: Array<{ stackId: string; reason: string }> = [];
    await waitFor(
      'every delivery parked',
      async () => {
        parked = (await admin.list()).body.data;
        return parked.length === stacks.length;
      },
      15_000,
    );
    for (const [i, s] of stacks.entries()) {
      const reason = parked.find((d) => d.stackId === s.id)?.reason ?? '';
      expect(reason, urls[i]).toMatch(i === stacks.length - 1 ? /port 22 is not allowed/ : /not a public unicast address/);
    }
  });
});

describe('a malformed STACKS_FILE', () => {
  it('stops the ingress and the worker with an error that never echoes the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gw-bad-stacks-')), 'stacks.json');
    writeFileSync(file, '[{"id":"a","apiKey":"key-0123456789abcdef","accessToken":EAAGleakedtoken0123456789}]');
    for (const [name, entry] of [
      ['ingress', ENTRY_POINTS.ingress],
      ['worker', ENTRY_POINTS.worker],
    ] as const) {
      const error = await startService({
        name,
        entry,
        env: { ...gateway.env, STACKS_FILE: file, STACKS_ENCRYPTION_KEY: '', PORT: '0', HOST: '127.0.0.1', REDIS_KEY_PREFIX: uniquePrefix() },
        timeoutMs: 20_000,
      }).then(
        async (service) => {
          await service.stop();
          return undefined;
        },
        (e: Error) => e,
      );
      expect(error?.message).toContain('STACKS_FILE');
      expect(error?.message).toContain('not valid JSON');
      expect(error?.message).not.toContain('EAAG');
      expect(error?.message).not.toContain('leaked');
    }
  });
});
