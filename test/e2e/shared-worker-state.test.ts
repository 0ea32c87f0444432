import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStack, sendVia, startGateway, startSimulator, templateMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { envelope, sentStatus, statusChange, wamid, webhookEnv, webhookSecrets } from '../support/webhooks.ts';

/**
 * Two workers on one Redis keep one view of what must hold across the
 * deployment: the MM circuit breaker and each stack's webhook delivery slots.
 */
let sim: Simulator;
const gateways: Gateway[] = [];

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await sim?.stop();
});

/** Lines a worker logged with this message, read from its own output. */
const logged = (worker: Gateway['workers'][number], msg: string) =>
  worker.output
    .join('')
    .split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`)).length;

describe('two workers', () => {
  it('share the MM circuit breaker: once one opens it, neither tries the MM API', async () => {
    const stack = makeStack({ messagesPerSecond: 1000 });
    await sim.control.account(stack);
    await sim.control.template(stack.wabaId, 'shared_breaker_promo', 'MARKETING');
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 2, env: { MM_BREAKER_THRESHOLD: '1', MM_BREAKER_OPEN_MS: '60000', LOG_LEVEL: 'info' } });
    gateways.push(gateway);
    const send = (i: number) => sendVia(gateway, stack, templateMessage('shared_breaker_promo', 'en_US', `+1555770${String(i).padStart(4, '0')}`));

    expect((await send(0)).headers['x-gateway-route']).toBe('marketing_messages');
    await sim.control.fault('marketing_messages', { outage: true });
    try {
      // One outage answer opens the circuit in whichever worker got it.
      expect((await send(1)).headers['x-gateway-route']).toBe('cloud_api');
      const mmBefore = (await sim.control.requests({ endpoint: 'marketing_messages', phoneNumberId: stack.phoneNumberId })).length;
      const answers = [];
      for (let i = 2; i < 22; i++) answers.push(await send(i));
      expect(answers.map((a) => a.headers['x-gateway-route-reason'])).toEqual(Array(20).fill('mm_circuit_open'));
      expect((await sim.control.requests({ endpoint: 'marketing_messages', phoneNumberId: stack.phoneNumberId })).length).toBe(mmBefore);
      // Both workers took some of those sends: the open circuit held in each.
      expect(gateway.workers.map((w) => logged(w, 'send') > 0)).toEqual([true, true]);
    } finally {
      await sim.control.clearFaults();
    }
  });

  it("share each stack's webhook delivery slots: never more deliveries in flight than WEBHOOK_STACK_CONCURRENCY", async () => {
    let inFlight = 0;
    let most = 0;
    let delivered = 0;
    const endpoint: Server = createServer((req, res) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      req.resume();
      setTimeout(() => {
        inFlight -= 1;
        delivered += 1;
        res.writeHead(200).end();
      }, 300);
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      const secrets = webhookSecrets();
      const stack = makeStack({ webhookUrl: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/hook`, webhookSecret: 'slots-secret-value' });
      const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 2, env: webhookEnv(secrets, { WEBHOOK_STACK_CONCURRENCY: '1', LOG_LEVEL: 'info' }) });
      gateways.push(gateway);
      await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret });
      for (let i = 0; i < 10; i++) expect(await sim.control.sendWebhook(envelope(stack.wabaId, [statusChange(stack, [sentStatus(wamid())])]))).toEqual({ status: 200 });
      await waitFor('every delivery', async () => delivered >= 10, 30_000);
      expect(most).toBe(1);
      // The endpoint counts a delivery before its answer reaches the worker: wait for the workers' own lines.
      const deliveredLines = () => gateway.workers.map((w) => logged(w, 'webhook delivered')).reduce((a, b) => a + b);
      await waitFor('every delivery logged by a worker', async () => deliveredLines() >= 10, 10_000);
      expect(deliveredLines()).toBe(10);
    } finally {
      endpoint.close();
    }
  });
});
