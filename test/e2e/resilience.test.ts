import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announcedUrl, ENTRY_POINTS, startPrivateRedis, startService, type PrivateRedis } from '@gw/process-tools';
import { makeStack, sendVia, startGateway, startSimulator, textMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';

const stack = makeStack();
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack);
});

afterAll(async () => {
  await sim?.stop();
});

const sentTo = async (prefix: string) => (await sim.control.requests()).filter((r) => String(r.body?.to).startsWith(prefix));

// The separate processes, and what `pnpm gateway` starts by default: one process holding both roles, whose
// batches go to its own send carrier in memory (none of them may wait in it for Redis to come back).
describe.each([
  ['one ingress and one worker', { workers: 1, env: {} }],
  ['one process holding both roles, with a send carrier', { combined: 1, env: { SEND_CARRIERS: '1' } }],
])('Redis outage, %s', (_layout, layout) => {
  let redis: PrivateRedis;
  let gateway: Gateway;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, redisUrl: redis.url, ...layout, env: { ENQUEUE_TIMEOUT_MS: '500', ...layout.env } });
  });
  afterAll(async () => {
    await gateway?.stop();
    await redis?.stop();
  });

  it('answers 503 within a second while Redis is down and recovers by itself when it returns', async () => {
    expect((await sendVia(gateway, stack, textMessage('before', '+15550300001'))).status).toBe(200);
    await redis.stop();

    const started = Date.now();
    const during = await sendVia(gateway, stack, textMessage('during', '+15550300002'));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(during.status).toBe(503);
    expect(during.body.error).toMatchObject({ code: 2, is_transient: true });

    redis = await startPrivateRedis(redis.port);
    const after = await waitFor(
      'recovery',
      async () => {
        const answer = await sendVia(gateway, stack, textMessage('after', '+15550300003'));
        return answer.status === 200 && answer;
      },
      20_000,
    );
    expect(after.headers['x-gateway-route']).toBe('cloud_api');
    expect(await sentTo('+15550300002')).toHaveLength(0);
    // Every ingress and worker process is still the one started before the outage.
    expect([...gateway.ingresses, ...gateway.workers].every((s) => s.process.exitCode === null)).toBe(true);
  });
});

describe('shutdown and crashes', () => {
  it('finishes in-flight sends and exits 0 on SIGTERM of the ingress', async () => {
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 1 });
    try {
      await sim.control.fault('messages', { latencyMs: 800 });
      const inflight = Array.from({ length: 5 }, (_, i) => sendVia(gateway, stack, textMessage('drain', `+155503101${i}`)));
      await new Promise((r) => setTimeout(r, 300));
      const exit = gateway.ingresses[0]!.stop('SIGTERM');
      const answers = await Promise.all(inflight);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(await exit).toBe(0);
    } finally {
      await sim.control.clearFaults();
      await gateway.stop();
    }
  });

  it('finishes in-flight sends and exits 0 on SIGTERM of the worker', async () => {
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 1 });
    try {
      await sim.control.fault('messages', { latencyMs: 800 });
      const inflight = Array.from({ length: 5 }, (_, i) => sendVia(gateway, stack, textMessage('drain', `+155503201${i}`)));
      await new Promise((r) => setTimeout(r, 300));
      const exit = gateway.workers[0]!.stop('SIGTERM');
      const answers = await Promise.all(inflight);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(await exit).toBe(0);
      expect(await sentTo('+155503201')).toHaveLength(5);
    } finally {
      await sim.control.clearFaults();
      await gateway.stop();
    }
  });

  it('never reruns a send whose worker was killed, and tells the waiting client', async () => {
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 1, env: { SEND_TIMEOUT_MS: '25000' } });
    try {
      await sim.control.fault('messages', { latencyMs: 3000 });
      const inflight = Array.from({ length: 5 }, (_, i) => sendVia(gateway, stack, textMessage('crash', `+155503301${i}`), '/messages', { 'idempotency-key': `crash-${i}` }));
      await waitFor('the sends to reach Meta', async () => (await sentTo('+155503301')).length === 5);
      gateway.workers[0]!.process.kill('SIGKILL');
      await gateway.startWorker();
      const answers = await Promise.all(inflight);
      for (const answer of answers) {
        expect(answer.status).toBe(504);
        expect(answer.body.error.error_data.outcome).toBe('unknown');
      }
      // A repeat with the same key does not send again either.
      const repeat = await sendVia(gateway, stack, textMessage('crash', '+1555033010'), '/messages', { 'idempotency-key': 'crash-0' });
      expect(repeat.status).toBe(504);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await sentTo('+155503301')).toHaveLength(5);
    } finally {
      await sim.control.clearFaults();
      await gateway.stop();
    }
  });

  it('never reruns a send whose process holding both roles was killed with its carrier, nor on a repeat of its key', async () => {
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, combined: 1, env: { SEND_CARRIERS: '1', SEND_TIMEOUT_MS: '5000' } });
    const killed = gateway.ingresses[0]!;
    try {
      await sim.control.fault('messages', { latencyMs: 3000 });
      const inflight = Array.from({ length: 5 }, (_, i) =>
        sendVia(gateway, stack, textMessage('crash', `+155503302${i}`), '/messages', { 'idempotency-key': `one-crash-${i}` }).then(
          (answer) => answer.status,
          () => 'connection lost',
        ),
      );
      await waitFor('the sends to reach Meta', async () => (await sentTo('+155503302')).length === 5);
      killed.process.kill('SIGKILL');
      // The clients lose their connections with the process: none of them gets an answer it could take for the outcome.
      expect(await Promise.all(inflight)).toEqual(Array(5).fill('connection lost'));

      const next = await startService({ name: 'gateway', entry: ENTRY_POINTS.gateway, env: { ...gateway.env, PORT: '0', HOST: '127.0.0.1' } });
      gateway.ingresses.push(next);
      const repeat = await sendVia({ ...gateway, url: announcedUrl(next) }, stack, textMessage('crash', '+1555033020'), '/messages', { 'idempotency-key': 'one-crash-0' });
      // No process knows the send's outcome now: the repeat waits for it, then says so, and sends nothing.
      expect(repeat.status).toBe(504);
      expect(repeat.body.error).toMatchObject({ code: 2, error_data: { outcome: 'pending' } });
      expect(repeat.text).toContain('outcome is unknown');
      await new Promise((r) => setTimeout(r, 1000));
      expect(await sentTo('+155503302')).toHaveLength(5);
    } finally {
      await sim.control.clearFaults();
      await gateway.stop();
    }
  });
});
