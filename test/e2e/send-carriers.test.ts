import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis } from '@gw/process-tools';
import { makeStack, sendVia, startGateway, startSimulator, textMessage, workerOpsUrl, type Simulator } from '../support/harness.ts';
import { metricSum, scrape } from '../support/metrics.ts';
import { waitFor } from '../support/assertions.ts';
import { commandStats, diffStats } from '../support/redis-commands.ts';

// SEND_CARRIERS: an ingress's batches run in long-lived carrier jobs instead of a BullMQ job each.
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
const commandsProcessed = async (redis: Redis) => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))![1]);

describe('send carriers', () => {
  it('carries lone sends in one carrier job, at a fraction of the Redis commands of a job per send', async () => {
    const redis = await startPrivateRedis();
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, redisUrl: redis.url, workers: 1, env: { SEND_CARRIERS: '1' } });
    const client = new Redis(redis.url);
    const queue = new Queue('send', { connection: { url: redis.url }, prefix: gateway.prefix });
    try {
      expect((await sendVia(gateway, stack, textMessage('first', '+15550350000'))).status).toBe(200);
      const before = await commandsProcessed(client);
      for (let i = 1; i <= 20; i++) {
        const answer = await sendVia(gateway, stack, textMessage('lone', `+1555035${String(i).padStart(4, '0')}`));
        expect(answer.status).toBe(200);
        expect(answer.body.messages[0].id).toMatch(/^wamid\./);
      }
      // A BullMQ job per send costs about 70 commands (add, fetches, finish, events, strip); a carried send about 6
      // (a push straight onto its carrier's list 2, as it comes within 500 ms of the last push through the script;
      // pop, ledger line, results, reply), its share of pacing and of the carrier's beats (7.5 here, 9.8 when each
      // push was the script's 4).
      const perSend = (await commandsProcessed(client)) - before - 1;
      expect(perSend / 20).toBeLessThan(10);
      expect(await sentTo('+15550350')).toHaveLength(21);

      // One carrier ran all of them, and closes with its summary once the sends stop.
      const carriers = await waitFor('the carrier to close', async () => {
        const jobs = await queue.getJobs(['completed']);
        return jobs.length > 0 && jobs;
      });
      expect(carriers.map((job) => job.name)).toEqual(['send-carrier']);
      expect(carriers[0]!.returnvalue).toMatchObject({ batches: 21, sends: 21 });
      expect(await queue.getJobCounts('active', 'waiting', 'failed')).toEqual({ active: 0, waiting: 0, failed: 0 });
      // Each batch's queue wait is measured as its carrier takes it; the carrier's own start is not a send's wait.
      expect(metricSum(await scrape(workerOpsUrl(gateway.workers[0]!)), 'gateway_queue_wait_seconds_count', { queue: 'send' })).toBe(21);
      // What the lane keeps after its batches ran is its results (Meta's answers), no message content.
      const laneKeys = await client.keys(`${gateway.prefix}:lane:*`);
      expect(laneKeys.map((key) => key.replace(/.*\}:/, '').replace(/:carrier-.*/, ''))).toEqual(['results']);
      const { '-': placeholder, ...results } = await client.hgetall(laneKeys[0]!);
      expect(placeholder).toBe('');
      expect(Object.keys(results)).toHaveLength(21);
      // It expires with the rest of what the carrier kept (twice SEND_TIMEOUT_MS).
      expect(await client.ttl(laneKeys[0]!)).toBeGreaterThan(0);
      expect(Object.values(results).every((result) => JSON.parse(result).status === 200)).toBe(true);
      expect(JSON.stringify(results)).not.toContain('lone');
    } finally {
      await queue.close();
      client.disconnect();
      await gateway.stop();
      await redis.stop();
    }
  });

  it('in a process with both roles (GATEWAY_PROCESSES), hands each batch to its own carrier in memory: no push, no reply, no results in Redis', async () => {
    const redis = await startPrivateRedis();
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, redisUrl: redis.url, combined: 1, env: { SEND_CARRIERS: '1' } });
    const client = new Redis(redis.url);
    const queue = new Queue('send', { connection: { url: redis.url }, prefix: gateway.prefix });
    try {
      // The first send opens the lane's carrier through Redis; this process's worker runs it.
      expect((await sendVia(gateway, stack, textMessage('first', '+15550390000'))).status).toBe(200);
      const before = await commandStats(client);
      for (let i = 1; i <= 20; i++) {
        const answer = await sendVia(gateway, stack, textMessage('own', `+1555039${String(i).padStart(4, '0')}`));
        expect(answer.status).toBe(200);
      }
      const during = diffStats(before, await commandStats(client));
      // What is left of a send in Redis is its ledger line (SET) and its share of pacing and of the carrier's beats
      // and waits: no push, no reply, no results (a pushed batch costs about 6 commands in two processes).
      // (A SET now and then is BullMQ's: the carrier job's lock, renewed every 5 s.)
      expect(during.set).toBeGreaterThanOrEqual(20);
      expect(during.set).toBeLessThan(24);
      for (const command of ['rpush', 'lrem', 'publish', 'hget']) expect(during[command] ?? 0, command).toBe(0);
      const laneKeys = await client.keys(`${gateway.prefix}:lane:*:results:*`);
      expect(await Promise.all(laneKeys.map((key) => client.hkeys(key)))).toEqual([['-']]);
      expect(await sentTo('+15550390')).toHaveLength(21);
      const carriers = await waitFor('the carrier to close', async () => {
        const jobs = await queue.getJobs(['completed']);
        return jobs.length > 0 && jobs;
      });
      expect(carriers.map((job) => job.returnvalue)).toEqual([{ batches: 21, sends: 21 }]);
    } finally {
      await queue.close();
      client.disconnect();
      await gateway.stop();
      await redis.stop();
    }
  });

  it('answers every send of a burst over two lanes and two workers once, each sent once', async () => {
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 2, env: { SEND_CARRIERS: '2' } });
    try {
      await sim.control.fault('messages', { latencyMs: 50 });
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => sendVia(gateway, stack, textMessage('burst', `+1555036${String(i).padStart(4, '0')}`))));
      expect(answers.filter((a) => a.status === 200)).toHaveLength(200);
      expect(new Set(answers.map((a) => a.body.messages[0].id)).size).toBe(200);
      const sent = await sentTo('+1555036');
      expect(sent).toHaveLength(200);
      expect(new Set(sent.map((r) => r.body?.to)).size).toBe(200);
    } finally {
      await sim.control.clearFaults();
      await gateway.stop();
    }
  });

  it('finishes a carrier’s sends on SIGTERM of its worker, and the next worker carries the sends after', async () => {
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 1, env: { SEND_CARRIERS: '1' } });
    try {
      await sim.control.fault('messages', { latencyMs: 800 });
      const inflight = Array.from({ length: 5 }, (_, i) => sendVia(gateway, stack, textMessage('drain', `+155503701${i}`)));
      await new Promise((r) => setTimeout(r, 300));
      const exit = gateway.workers[0]!.stop('SIGTERM');
      // Sent while the worker shuts down: within 500 ms of the push that opened the carrier it goes straight onto
      // that carrier's list and the carrier runs it as it finishes; later, it waits for a new carrier (below).
      const during = sendVia(gateway, stack, textMessage('during', '+1555037020'));
      expect((await Promise.all(inflight)).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(await exit).toBe(0);
      await sim.control.clearFaults();
      await gateway.startWorker();
      expect((await during).status).toBe(200);
      expect((await sendVia(gateway, stack, textMessage('after', '+1555037030'))).status).toBe(200);
      expect(await sentTo('+155503701')).toHaveLength(5);
      expect(await sentTo('+1555037020')).toHaveLength(1);
    } finally {
      await sim.control.clearFaults();
      await gateway.stop();
    }
  });

  it('never reruns the sends of a killed carrier, tells their clients, and carries the next sends on a new one', async () => {
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 1, env: { SEND_CARRIERS: '1', SEND_TIMEOUT_MS: '25000' } });
    try {
      await sim.control.fault('messages', { latencyMs: 3000 });
      const inflight = Array.from({ length: 5 }, (_, i) =>
        sendVia(gateway, stack, textMessage('crash', `+155503801${i}`), '/messages', { 'idempotency-key': `carrier-crash-${i}` }),
      );
      await waitFor('the sends to reach Meta', async () => (await sentTo('+155503801')).length === 5);
      const killed = gateway.workers[0]!;
      killed.process.kill('SIGKILL');
      await killed.exited;
      await sim.control.clearFaults();
      // Pushed for the dead carrier (its mark has not lapsed yet): taken back and carried by the next one.
      const meanwhile = Array.from({ length: 3 }, (_, i) => sendVia(gateway, stack, textMessage('meanwhile', `+155503802${i}`)));
      await new Promise((r) => setTimeout(r, 500));
      await gateway.startWorker();
      const later = await Promise.all(meanwhile);
      expect(later.map((a) => [a.status, a.body.error?.error_data?.outcome])).toEqual([
        [200, undefined],
        [200, undefined],
        [200, undefined],
      ]);
      const answers = await Promise.all(inflight);
      for (const answer of answers) {
        expect(answer.status).toBe(504);
        expect(answer.body.error.error_data.outcome).toBe('unknown');
      }
      const repeat = await sendVia(gateway, stack, textMessage('crash', '+1555038010'), '/messages', { 'idempotency-key': 'carrier-crash-0' });
      expect(repeat.status).toBe(504);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await sentTo('+155503801')).toHaveLength(5);
      expect(await sentTo('+155503802')).toHaveLength(3);
    } finally {
      await sim.control.clearFaults();
      await gateway.stop();
    }
  }, 60_000);
});
