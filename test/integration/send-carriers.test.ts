import { afterAll, describe, expect, inject, it } from 'vitest';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl, ReplicaAck } from '@gw/config';
import { CARRIER_PUSH, carrierClaimKey, carrierKeys, enqueue, JOBS, QUEUES, redisKeys, type SendBatchJob } from '@gw/contracts';
import { createLogger } from '@gw/logger';
import { startPrivateRedis } from '@gw/process-tools';
import { startSendPath } from '../../apps/ingress/src/send-path.ts';
import { SendCarrierRunner } from '../../apps/worker/src/send-carrier-runner.ts';
import { FailoverGuard } from '../../apps/worker/src/failover-guard.ts';
import { uniquePrefix } from '../support/harness.ts';
import { commandStats, diffStats } from '../support/redis-commands.ts';

/**
 * Send carriers (SEND_CARRIERS) against a real Redis and real BullMQ workers running the worker's
 * SendCarrierRunner, with a batch runner that stores each send's answer in the carrier's results and
 * publishes nothing: every answer comes from the ingress's fallbacks, not from a reply. (A batch handed
 * over in memory to a carrier of the ingress's own process has no such fallback: the runner of those
 * tests also publishes each answer, as a worker does.)
 */
const connection = () => ({ ...redisOptionsFromUrl(inject('redisUrl')), maxRetriesPerRequest: null });
const closers: Array<() => Promise<unknown>> = [];
const logger = createLogger({ name: 'test', level: 'silent' });
const env = { SEND_BATCH_MAX_ITEMS: 64, SEND_TIMEOUT_MS: 5000, IDEMPOTENCY_TTL_SECONDS: 60, SEND_CARRIERS: 1 };

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

async function ingress(prefix: string, queue: Queue, carrierCheckMs = 100, localCarriers?: SendCarrierRunner) {
  const commands = new Redis(connection());
  const subscriber = new Redis(connection());
  closers.push(
    () => commands.quit(),
    () => subscriber.quit(),
  );
  const { dispatcher, carriers } = await startSendPath({
    env,
    queue,
    commands,
    subscriber,
    keys: redisKeys(prefix),
    ingressId: 'carrier-test',
    jobCheckIntervalMs: 100,
    carrierCheckMs,
    localCarriers,
  });
  closers.push(async () => carriers?.close());
  return { dispatcher, commands, lane: redisKeys(prefix).sendLane('carrier-test', 0) };
}

/**
 * A worker whose carriers run batches by storing `{echo: n}` for each send (and publishing it to the
 * batch's reply channel with `reply`), and count each batch they run.
 */
function carrierWorker(
  prefix: string,
  ran: string[],
  { reply = false, slots, failoverGuard }: { reply?: boolean; slots?: { free: boolean; whenFree(): Promise<void> | undefined }; failoverGuard?: FailoverGuard } = {},
) {
  const commands = new Redis(connection());
  const runner = new SendCarrierRunner({ commands, logger, slots, failoverGuard });
  const worker = new Worker(
    QUEUES.send,
    (job: Job) =>
      runner.run(job, async (batchJobId: string, data: SendBatchJob, resultsKey: string) => {
        ran.push(batchJobId);
        for (const item of data.items) {
          const result = { status: 200, body: { echo: item.payload.n }, route: 'cloud_api', reason: 'not_template' };
          await commands.hset(resultsKey, item.id, JSON.stringify(result));
          if (reply) await commands.publish(data.replyTo, JSON.stringify([{ jobId: item.id, result }]));
        }
      }),
    { connection: connection(), prefix, concurrency: 8 },
  );
  closers.push(
    () => worker.close(),
    () => commands.quit(),
  );
  return { worker, runner };
}

/** A carrier opened by a push of `firstBatch` through the script, as an ingress does, and its job added. */
async function openCarrier(prefix: string, lane: string, candidate: string, firstBatch: string) {
  const queue = new Queue(QUEUES.send, { connection: connection(), prefix });
  closers.push(() => queue.obliterate({ force: true }).then(() => queue.close()));
  const commands = new Redis(connection());
  closers.push(() => commands.quit());
  const [id] = (await commands.eval(CARRIER_PUSH, 1, carrierKeys(lane, '').open, lane, candidate, firstBatch, 60)) as [string, number];
  await enqueue(queue, JOBS.sendCarrier, { lane, keepSeconds: 60 }, { sendTimeoutMs: 5000 }, { jobId: id });
  return { queue, commands, id };
}

const send = (dispatcher: Awaited<ReturnType<typeof ingress>>['dispatcher'], n: number) => dispatcher.dispatch({ stackId: 'stack-a', endpoint: 'messages', payload: { n } });

describe('send carriers', () => {
  it('answers each send from its carrier’s results when no reply comes', async () => {
    const prefix = uniquePrefix();
    const queue = new Queue(QUEUES.send, { connection: connection(), prefix });
    closers.push(() => queue.obliterate({ force: true }).then(() => queue.close()));
    const { dispatcher } = await ingress(prefix, queue);
    const ran: string[] = [];
    carrierWorker(prefix, ran);
    const answers = await Promise.all(Array.from({ length: 5 }, (_, n) => send(dispatcher, n)));
    answers.forEach((answer, n) => expect(answer).toMatchObject({ status: 200, body: { echo: n } }));
    // One tick, one batch, one carrier.
    expect(ran).toHaveLength(1);
    const jobs = await queue.getJobs(['active', 'completed']);
    expect(jobs.map((job) => job.name)).toEqual(['send-carrier']);
  });

  it('takes a batch back from a carrier whose mark lapsed before it ran, and has the next carrier run it once', async () => {
    const prefix = uniquePrefix();
    const queue = new Queue(QUEUES.send, { connection: connection(), prefix });
    closers.push(() => queue.obliterate({ force: true }).then(() => queue.close()));
    const { dispatcher, commands, lane } = await ingress(prefix, queue);
    // No worker yet: the batch waits on the first carrier's list, as if that carrier had died before taking it.
    const answer = send(dispatcher, 7);
    const first = await waitForJob(queue, 1);
    await commands.del(carrierKeys(lane, '').open);
    // The ingress's check finds the mark gone, takes the batch back and opens a second carrier for it.
    const [, second] = await waitForJob(queue, 2);
    expect(second!.id).not.toBe(first[0]!.id);
    expect(await commands.llen(carrierKeys(lane, first[0]!.id!).pending)).toBe(0);
    const ran: string[] = [];
    carrierWorker(prefix, ran);
    expect(await answer).toMatchObject({ status: 200, body: { echo: 7 } });
    // Both carriers ran (the first found nothing), the batch once.
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 2);
    expect(ran).toHaveLength(1);
  });

  it('pushes a batch sent soon after a push through the script straight onto that carrier’s list, and takes it back when the carrier is gone', async () => {
    const prefix = uniquePrefix();
    const queue = new Queue(QUEUES.send, { connection: connection(), prefix });
    closers.push(() => queue.obliterate({ force: true }).then(() => queue.close()));
    // Checks a second apart, so that both batches are on the first carrier's list before any is taken back.
    const { dispatcher, commands, lane } = await ingress(prefix, queue, 1000);
    const first = send(dispatcher, 1);
    const [carrier] = await waitForJob(queue, 1);
    const pending = carrierKeys(lane, carrier!.id!).pending;
    // The carrier is gone (its mark with it) before it took anything; the next push, 500 ms after the
    // script's at most, does not look at the mark: it goes onto the same list, with RPUSH and EXPIRE only.
    await commands.del(carrierKeys(lane, '').open);
    const before = await commandStats(commands);
    const second = send(dispatcher, 2);
    await waitFor(async () => (await commands.llen(pending)) === 2);
    const pushed = diffStats(before, await commandStats(commands));
    expect(pushed).toMatchObject({ rpush: 1, expire: 1 });
    expect(pushed.evalsha ?? 0).toBe(0);
    expect(await commands.ttl(pending)).toBeGreaterThan(0);
    // The check finds the mark gone and takes both back for a new carrier, which runs each once.
    const [, next] = await waitForJob(queue, 2);
    expect(next!.id).not.toBe(carrier!.id);
    const ran: string[] = [];
    carrierWorker(prefix, ran);
    expect(await first).toMatchObject({ status: 200, body: { echo: 1 } });
    expect(await second).toMatchObject({ status: 200, body: { echo: 2 } });
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 2);
    expect(ran).toHaveLength(2);
    expect(new Set(ran).size).toBe(2);
  });

  it('keeps taking batches for a while after it gives its mark up (its worker shutting down), so a batch pushed straight after is run by it', async () => {
    const prefix = uniquePrefix();
    const keys = redisKeys(prefix);
    const lane = keys.sendLane('drain-test', 0);
    const batch = (id: string, n: number) => JSON.stringify({ id, data: { replyTo: 'nobody', items: [{ id: `${id}.0`, payload: { n } }] } });
    const { queue, commands, id } = await openCarrier(prefix, lane, 'carrier-drain', batch('batch-1', 1));
    const ran: string[] = [];
    const { runner } = carrierWorker(prefix, ran);
    // Shutting down before the carrier starts: it gives its mark up at once.
    runner.stop();
    await waitFor(async () => (await commands.get(carrierKeys(lane, '').open)) === null, 5000, 5);
    // A push sent while the mark stood lands after it is given up: the carrier still takes it.
    await commands.rpush(carrierKeys(lane, id).pending, batch('batch-2', 2));
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 1);
    expect(ran).toEqual(['batch-1', 'batch-2']);
    expect((await queue.getJobs(['completed']))[0]!.returnvalue).toEqual({ batches: 2, sends: 2 });
  });

  it('runs a batch popped twice once, when no replica confirmed the first pop (a failover that undid it puts the batch back)', async () => {
    const prefix = uniquePrefix();
    const lane = redisKeys(prefix).sendLane('failover-test', 0);
    const batch = (id: string, n: number) => JSON.stringify({ id, data: { replyTo: 'nobody', items: [{ id: `${id}.0`, payload: { n } }] } });
    const { queue, commands, id } = await openCarrier(prefix, lane, 'carrier-failover', batch('batch-1', 1));
    // The suite's Redis has no replica: no pop is confirmed, so each batch is claimed on the primary before it runs.
    await commands.rpush(carrierKeys(lane, id).pending, batch('batch-1', 1), batch('batch-2', 2));
    const ran: string[] = [];
    carrierWorker(prefix, ran, { failoverGuard: new FailoverGuard(new ReplicaAck(20)) });
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 1);
    expect(ran).toEqual(['batch-1', 'batch-2']);
    expect(await commands.exists(carrierClaimKey(lane, 'batch-1'), carrierClaimKey(lane, 'batch-2'))).toBe(2);
  });

  it('hands batches to a carrier running in its own process in memory: nothing pushed or taken back, and the carrier stays open while they come', async () => {
    const prefix = uniquePrefix();
    const queue = new Queue(QUEUES.send, { connection: connection(), prefix });
    closers.push(() => queue.obliterate({ force: true }).then(() => queue.close()));
    const ran: string[] = [];
    const { runner } = carrierWorker(prefix, ran, { reply: true });
    const { dispatcher, commands } = await ingress(prefix, queue, 100, runner);
    // No carrier runs yet: the first batch is pushed through the script, which opens one; this process runs it.
    expect(await send(dispatcher, 0)).toMatchObject({ status: 200, body: { echo: 0 } });
    const before = await commandStats(commands);
    // Every 300 ms for 1.5 s: longer than a carrier waits for a batch in Redis before it tries to close.
    for (let n = 1; n <= 5; n++) {
      await new Promise((r) => setTimeout(r, 300));
      expect(await send(dispatcher, n)).toMatchObject({ status: 200, body: { echo: n } });
    }
    const during = diffStats(before, await commandStats(commands));
    // No push (the script's or straight onto a list) and nothing taken back; the carrier's beats and waits go on.
    for (const command of ['rpush', 'lrem']) expect(during[command] ?? 0, command).toBe(0);
    // One carrier ran them all, and closes with its count once they stop.
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 1, 5000);
    const jobs = await queue.getJobs(['completed', 'active', 'waiting']);
    expect(jobs.map((job) => job.returnvalue)).toEqual([{ batches: 6, sends: 6 }]);
    expect(new Set(ran).size).toBe(6);
  });

  it('takes no batch handed over while its worker has no room, nor once its worker stops', async () => {
    const prefix = uniquePrefix();
    const keys = redisKeys(prefix);
    const lane = keys.sendLane('hand-test', 0);
    const { queue, id } = await openCarrier(prefix, lane, 'carrier-hand', JSON.stringify({ id: 'batch-0', data: { replyTo: 'nobody', items: [] } }));
    const slots = { free: true, whenFree: () => undefined };
    const ran: string[] = [];
    const { runner } = carrierWorker(prefix, ran, { slots });
    const batch = (n: number): SendBatchJob => ({
      replyTo: 'nobody',
      items: [{ id: `batch-${n}.0`, stackId: 'stack-a', endpoint: 'messages', payload: { n }, receivedAt: Date.now() }],
    });
    expect(runner.hand(keys.sendLane('hand-test', 1), 'batch-x', batch(9)), 'a lane no carrier here runs').toBeUndefined();
    await waitFor(async () => runner.hand(lane, 'batch-1', batch(1)) === id);
    slots.free = false;
    expect(runner.hand(lane, 'batch-2', batch(2))).toBeUndefined();
    slots.free = true;
    expect(runner.hand(lane, 'batch-3', batch(3))).toBe(id);
    runner.stop();
    expect(runner.hand(lane, 'batch-4', batch(4))).toBeUndefined();
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 1);
    expect(ran.sort()).toEqual(['batch-0', 'batch-1', 'batch-3']);
  });

  it('hands no batch over once Redis has closed the connection, though ioredis still says ready: 503, nothing run', async () => {
    // A Redis of its own, to stop; started again first thing at the end, so that the carrier ends and every connection closes.
    let redis = await startPrivateRedis();
    let stopped = false;
    closers.push(() => redis.stop());
    const port = redis.port;
    const on = (options: object) => ({ ...redisOptionsFromUrl(redis.url), ...options });
    const prefix = uniquePrefix();
    const queue = new Queue(QUEUES.send, { connection: on({ maxRetriesPerRequest: null }), prefix });
    queue.on('error', () => undefined);
    closers.push(() => queue.close());
    const ran: string[] = [];
    const runnerCommands = new Redis(on({ maxRetriesPerRequest: null }));
    runnerCommands.on('error', () => undefined);
    const runner = new SendCarrierRunner({ commands: runnerCommands, logger });
    const worker = new Worker(
      QUEUES.send,
      (job: Job) =>
        runner.run(job, async (batchJobId: string, data: SendBatchJob) => {
          ran.push(batchJobId);
          const replies = data.items.map((item) => ({ jobId: item.id, result: { status: 200, body: { echo: item.payload.n }, route: 'cloud_api', reason: 'not_template' } }));
          await runnerCommands.publish(data.replyTo, JSON.stringify(replies));
        }),
      { connection: on({ maxRetriesPerRequest: null }), prefix, concurrency: 8 },
    );
    worker.on('error', () => undefined);
    // Its carrier's job outlives the Redis it started on: the worker does not wait for it.
    closers.push(
      () => runnerCommands.quit(),
      () => worker.close(true),
      async () => runner.stop(),
    );
    // As the ingress connects: commands fail fast (no offline queue).
    const commands = new Redis(on({ enableOfflineQueue: false, maxRetriesPerRequest: 1 }));
    const subscriber = new Redis(on({ maxRetriesPerRequest: null }));
    for (const connection of [commands, subscriber]) connection.on('error', () => undefined);
    closers.push(
      () => commands.quit(),
      () => subscriber.quit(),
    );
    const { dispatcher, carriers } = await startSendPath({ env, queue, commands, subscriber, keys: redisKeys(prefix), ingressId: 'gone-test', localCarriers: runner });
    closers.push(
      async () => carriers?.close(),
      async () => {
        if (stopped) redis = await startPrivateRedis(port);
      },
    );
    // The first send opens a carrier in this process; the next ones would be handed to it in memory.
    expect(await send(dispatcher, 0)).toMatchObject({ status: 200, body: { echo: 0 } });
    // Sent when Redis has closed the connection (its end read): its batch is flushed in the event loop's check phase,
    // before the socket's close event, so ioredis's status still says ready then.
    let during: Promise<unknown> | undefined;
    let statusThen = '';
    commands.stream.once('end', () => {
      during = send(dispatcher, 1);
      setImmediate(() => (statusThen = commands.status));
    });
    await redis.stop();
    stopped = true;
    await waitFor(async () => during !== undefined);
    expect(await during).toMatchObject({ status: 503, body: { error: { code: 2 } } });
    expect(statusThen, 'the window this test is about').toBe('ready');
    expect(ran).toHaveLength(1);
  });

  it('takes the batches back when their carrier’s job cannot be added: 503, nothing sent, the lane free', async () => {
    const prefix = uniquePrefix();
    // A queue whose Redis is gone refuses the add at once; the lane's own commands still reach Redis.
    const deadQueue = new Queue(QUEUES.send, { connection: { host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null }, prefix });
    deadQueue.on('error', () => undefined);
    closers.push(() => deadQueue.close());
    const { dispatcher, commands, lane } = await ingress(prefix, deadQueue);
    const answers = await Promise.all([send(dispatcher, 1), send(dispatcher, 2)]);
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ error: { code: 2 } });
    }
    expect(await commands.keys(`${lane}*`)).toEqual([]);
  });
});

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 5000, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function waitForJob(queue: Queue, count: number): Promise<Job[]> {
  let jobs: Job[] = [];
  await waitFor(async () => (jobs = await queue.getJobs(['waiting'], 0, -1, true)).length >= count);
  return jobs;
}
