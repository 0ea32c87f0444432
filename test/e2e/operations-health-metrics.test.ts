import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  get,
  IN_DEFAULT_LAYOUT_PROJECT,
  makeStack,
  post,
  sendVia,
  startGateway,
  startSimulator,
  templateMessage,
  workerOpsUrl,
  type Gateway,
  type Simulator,
} from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { metricSum, scrape } from '../support/metrics.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { webhookEnv, webhookSecrets } from '../support/webhooks.ts';

const secrets = webhookSecrets();
const metricsToken = `metrics-${Date.now()}`;
let receiver: WebhookReceiver;
let withHook: ReturnType<typeof makeStack>;
let withoutHook: ReturnType<typeof makeStack>;
let sim: Simulator;
let gateway: Gateway;
let workerUrl: string;

beforeAll(async () => {
  receiver = await WebhookReceiver.start('ops-stack-secret');
  withHook = makeStack({ webhookUrl: receiver.url, webhookSecret: receiver.secret });
  // No webhookUrl: its webhooks are parked at once (dead letters).
  withoutHook = makeStack();
  sim = await startSimulator();
  for (const s of [withHook, withoutHook]) await sim.control.account(s);
  await sim.control.templates([
    { wabaId: withHook.wabaId, name: 'ops_promo', language: 'en_US', category: 'MARKETING' },
    { wabaId: withHook.wabaId, name: 'ops_util', language: 'en_US', category: 'UTILITY' },
    { wabaId: withoutHook.wabaId, name: 'ops_parked', language: 'en_US', category: 'UTILITY' },
  ]);
  gateway = await startGateway({
    stacks: [withHook, withoutHook],
    metaUrl: sim.url,
    env: webhookEnv(secrets, { METRICS_TOKEN: metricsToken, QUEUE_METRICS_INTERVAL_MS: '1000', WORKER_HEARTBEAT_INTERVAL_MS: '500', READYZ_WORKER_MAX_AGE_MS: '3000' }),
  });
  workerUrl = workerOpsUrl(gateway.workers[0] ?? gateway.ingresses[0]!);
  await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret, statuses: { sent: { delayMs: 10 } } });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
  await receiver?.close();
});

describe('health endpoints', () => {
  it('answers /healthz on the ingress and the worker while they run', async () => {
    expect((await get(`${gateway.url}/healthz`)).body).toEqual({ status: 'ok' });
    expect((await get(`${workerUrl}/healthz`)).body).toEqual({ status: 'ok' });
  });

  it('reports ready on the ingress once Redis answers and a worker has checked in', async () => {
    const ready = await get(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { redis: 'ok', workers: 'ok' }, workers: 1 });
  });

  it('reports ready on the worker when Redis, its queue workers and its heartbeat are fine', async () => {
    const ready = await get(`${workerUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ redis: 'ok', queues: 'ok', heartbeat: 'ok' });
  });
});

describe('metrics', () => {
  it('wants the metrics token on both processes when METRICS_TOKEN is set, with a Meta-format error', async () => {
    for (const url of [gateway.url, workerUrl]) {
      const refused = await get(`${url}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.body.error).toMatchObject({ code: 190, type: 'OAuthException' });
      expect(await scrape(url, metricsToken)).toContain('gateway_');
    }
  });

  it('counts messages by route and reason, fallbacks by Meta error code and Meta latency per endpoint', async () => {
    expect((await sendVia(gateway, withHook, templateMessage('ops_promo'))).headers['x-gateway-route-reason']).toBe('checked_accepted');
    expect((await sendVia(gateway, withHook, templateMessage('ops_promo'))).headers['x-gateway-route-reason']).toBe('cached_marketing');
    expect((await sendVia(gateway, withHook, templateMessage('ops_util'))).headers['x-gateway-mm-error-code']).toBe('134100');
    const worker = await scrape(workerUrl, metricsToken);
    expect(metricSum(worker, 'gateway_messages_total', { route: 'marketing_messages', reason: 'checked_accepted', status_class: '2xx' })).toBe(1);
    expect(metricSum(worker, 'gateway_messages_total', { route: 'marketing_messages', reason: 'cached_marketing' })).toBe(1);
    expect(metricSum(worker, 'gateway_fallbacks_total', { reason: 'checked_fallback', error_code: '134100' })).toBe(1);
    expect(metricSum(worker, 'gateway_meta_request_duration_seconds_count', { endpoint: 'marketing_messages', outcome: '2xx' })).toBe(2);
    expect(metricSum(worker, 'gateway_meta_request_duration_seconds_count', { endpoint: 'marketing_messages', outcome: '4xx' })).toBe(1);
    expect(metricSum(worker, 'gateway_meta_request_duration_seconds_count', { endpoint: 'messages', outcome: '2xx' })).toBe(1);
    expect(metricSum(worker, 'gateway_send_duration_seconds_count')).toBe(3);
  });

  it('counts category cache misses and hits by the source of the knowledge', async () => {
    const worker = await scrape(workerUrl, metricsToken);
    expect(metricSum(worker, 'gateway_category_cache_lookups_total', { result: 'miss' })).toBe(2);
    expect(metricSum(worker, 'gateway_category_cache_lookups_total', { result: 'hit', source: 'learned' })).toBe(1);
  });

  it('measures queue wait and samples queue depth on both processes', async () => {
    const worker = await scrape(workerUrl, metricsToken);
    expect(metricSum(worker, 'gateway_queue_wait_seconds_count', { queue: 'send' })).toBe(3);
    // The three sends' jobs: a send-batch job each, or the one send carrier that ran them all, once it closed.
    const jobs = gateway.env.SEND_CARRIERS ? 1 : 3;
    for (const url of [gateway.url, workerUrl]) {
      await waitFor('the send queue depth', async () => metricSum(await scrape(url, metricsToken), 'gateway_queue_jobs', { queue: 'send', state: 'completed' }) >= jobs);
    }
  });

  it('counts what clients of the send endpoints were answered, and HTTP requests by route pattern, on the ingress', async () => {
    const ingress = await scrape(gateway.url, metricsToken);
    expect(metricSum(ingress, 'gateway_send_responses_total', { route: 'cloud_api', reason: 'checked_fallback', status_class: '2xx' })).toBe(1);
    expect(metricSum(ingress, 'gateway_http_request_duration_seconds_count', { method: 'POST', route: '/messages', status_class: '2xx' })).toBe(3);
    // One after the other, so each send was its own send-batch job.
    expect(metricSum(ingress, 'gateway_send_batch_size_count')).toBe(3);
    expect(metricSum(ingress, 'gateway_send_batch_size_sum')).toBe(3);
    expect(ingress).not.toContain(withHook.phoneNumberId);
  });

  it('counts webhook deliveries by outcome and attempt, and the dead letters', async () => {
    await sendVia(gateway, withoutHook, templateMessage('ops_parked'));
    await waitFor('a delivered webhook', async () => receiver.requests.length > 0);
    await waitFor(
      'a delivery and a dead letter in the metrics',
      async () => {
        const worker = await scrape(workerUrl, metricsToken);
        return (
          metricSum(worker, 'gateway_webhook_deliveries_total', { outcome: 'delivered', attempt: '1' }) >= 1 &&
          metricSum(worker, 'gateway_webhook_deliveries_total', { outcome: 'dead_lettered', attempt: '1' }) >= 1 &&
          metricSum(worker, 'gateway_dead_letters', { queue: 'webhook-delivery' }) >= 1
        );
      },
      15_000,
    );
    await waitFor('the dead letters on the ingress', async () => metricSum(await scrape(gateway.url, metricsToken), 'gateway_dead_letters', { queue: 'webhook-delivery' }) >= 1);
  });
});

describe('the stacks admin API without STACKS_ENCRYPTION_KEY', () => {
  it('answers 503 with a Meta-format error that says how to turn it on', async () => {
    const answer = await get(`${gateway.url}/admin/stacks`, { authorization: `Bearer ${secrets.adminToken}` });
    expect(answer.status).toBe(503);
    expect(answer.body.error.error_data.details).toMatch(/STACKS_ENCRYPTION_KEY/);
    const created = await post(`${gateway.url}/admin/stacks`, {}, { authorization: `Bearer ${secrets.adminToken}` });
    expect(created.status).toBe(503);
  });

  it('still wants the admin token first', async () => {
    expect((await get(`${gateway.url}/admin/stacks`)).status).toBe(401);
  });
});

// Separate processes only: a process holding both roles takes its ingress down with its worker.
describe.skipIf(IN_DEFAULT_LAYOUT_PROJECT)('readiness when the workers stop', () => {
  it('turns the ingress not ready when its last worker leaves, and ready again when one checks in', async () => {
    await gateway.workers[0]!.stop();
    const notReady = await get(`${gateway.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.body.error.error_data.checks).toMatchObject({ redis: 'ok', workers: expect.stringMatching(/no worker checked in/) });
    expect((await get(`${gateway.url}/healthz`)).status).toBe(200);
    await gateway.startWorker();
    await waitFor('ready again', async () => (await get(`${gateway.url}/readyz`)).status === 200);
  });
});
