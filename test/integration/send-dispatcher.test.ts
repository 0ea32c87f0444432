import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '@gw/config';
import { batchJobIdOf, QUEUES, redisKeys, type SendBatchJob, type SendBatchResult } from '@gw/contracts';
import { startPrivateRedis } from '@gw/process-tools';
import { IdempotencyStore } from '../../apps/ingress/src/idempotency-store.ts';
import type { SendDispatcher } from '../../apps/ingress/src/send-dispatcher.ts';
import { startSendPath } from '../../apps/ingress/src/send-path.ts';
import { uniquePrefix } from '../support/harness.ts';

/**
 * The ingress's fallbacks when no reply arrives, against a real Redis and a real
 * BullMQ worker that finishes send-batch jobs without publishing anything: each
 * send must find its own answer in its batch job's return value, and a failed
 * batch must answer "outcome unknown" for every send in it.
 */
const prefix = uniquePrefix();
const connection = () => ({ ...redisOptionsFromUrl(inject('redisUrl')), maxRetriesPerRequest: null });
const closers: Array<() => Promise<unknown>> = [];
let dispatcher: SendDispatcher;
const batchSizes: number[] = [];

beforeAll(async () => {
  const keys = redisKeys(prefix);
  const queue = new Queue(QUEUES.send, { connection: connection(), prefix });
  const commands = new Redis(connection());
  const subscriber = new Redis(connection());
  // Answers from the job's return value only: as if every reply were lost.
  const worker = new Worker(
    QUEUES.send,
    async (job: Job<SendBatchJob>): Promise<SendBatchResult> => {
      batchSizes.push(job.data.items.length);
      const failing = job.data.items.filter((item) => item.payload.fail === true);
      if (failing.length > 0) throw new Error('the worker died');
      const results: SendBatchResult['results'] = {};
      for (const item of job.data.items) results[item.id] = { status: 200, body: { echo: item.payload.n }, route: 'cloud_api', reason: 'not_template' };
      return { results };
    },
    { connection: connection(), prefix, concurrency: 4 },
  );
  // The ingress's own wiring of the send path (as createIngress builds it).
  ({ dispatcher } = await startSendPath({
    env: { SEND_BATCH_MAX_ITEMS: 64, SEND_TIMEOUT_MS: 5000, IDEMPOTENCY_TTL_SECONDS: 60 },
    queue,
    commands,
    subscriber,
    keys,
    ingressId: 'dispatcher-test',
    jobCheckIntervalMs: 100,
  }));
  closers.push(
    () => worker.close(),
    () => queue.obliterate({ force: true }).then(() => queue.close()),
    () => commands.quit(),
    () => subscriber.quit(),
  );
});

afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
});

const send = (payload: Record<string, unknown>, idempotencyKey?: string) => dispatcher.dispatch({ stackId: 'stack-a', endpoint: 'messages', payload, idempotencyKey });

describe('SendDispatcher without replies', () => {
  it('gives each send of one batch its own answer from the batch job', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, (_, n) => send({ n })));
    answers.forEach((answer, n) => {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ echo: n });
    });
    const jobIds = answers.map((a) => a.jobId!);
    expect(new Set(jobIds).size).toBe(5);
    // Dispatched in one tick, so queued as one job.
    expect(new Set(jobIds.map(batchJobIdOf)).size).toBe(1);
    expect(batchSizes).toContain(5);
  });

  it('holds a batch open for the window while the ingress is busy, so sends of several ticks share a job', async () => {
    const queue = new Queue(QUEUES.send, { connection: connection(), prefix });
    closers.push(() => queue.close());
    const subscriber = new Redis(connection());
    closers.push(() => subscriber.quit());
    const commands = new Redis(connection());
    closers.push(() => commands.quit());
    // The ingress's wiring with a 50 ms window, busy from the first waiting send on.
    const { dispatcher: windowed } = await startSendPath({
      env: { SEND_BATCH_MAX_ITEMS: 64, SEND_BATCH_WINDOW_MS: 50, SEND_BATCH_WINDOW_PENDING: 0, SEND_TIMEOUT_MS: 5000, IDEMPOTENCY_TTL_SECONDS: 60 },
      queue,
      commands,
      subscriber,
      keys: redisKeys(prefix),
      ingressId: 'window-test',
      jobCheckIntervalMs: 100,
    });
    const later = (n: number, ms: number) => new Promise((r) => setTimeout(r, ms)).then(() => windowed.dispatch({ stackId: 'stack-a', endpoint: 'messages', payload: { n } }));
    const answers = await Promise.all([later(1, 0), later(2, 10), later(3, 20)]);
    expect(answers.map((a) => a.body)).toEqual([{ echo: 1 }, { echo: 2 }, { echo: 3 }]);
    expect(new Set(answers.map((a) => batchJobIdOf(a.jobId!))).size).toBe(1);
  });

  it('answers every send of a failed batch with "outcome unknown", and remembers it under its key', async () => {
    const answers = await Promise.all([send({ n: 1, fail: true }, 'key-lost'), send({ n: 2 })]);
    for (const answer of answers) {
      expect(answer.status).toBe(504);
      expect((answer.body as { error: { code: number; error_data: { outcome: string } } }).error).toMatchObject({
        code: 131000,
        error_data: { outcome: 'unknown' },
      });
    }
    const repeat = await send({ n: 1, fail: true }, 'key-lost');
    expect(repeat.replayed).toBe(true);
    expect(repeat.status).toBe(504);
  });

  it('never answers "nothing was sent" for a slow enqueue: it waits within the send deadline, and answers from the send', async () => {
    // Redis holds every write for longer than ENQUEUE_TIMEOUT_MS's default (1 s); the claim and the add land afterwards.
    const admin = new Redis(connection());
    closers.push(() => admin.quit());
    await admin.call('CLIENT', 'PAUSE', '1800', 'WRITE');
    const answer = await send({ n: 42 }, 'key-slow-enqueue');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ echo: 42 });
    // The key holds that answer: a retry replays it, it does not send again.
    const repeat = await send({ n: 42 }, 'key-slow-enqueue');
    expect(repeat).toMatchObject({ status: 200, replayed: true });
  });
});

describe('An Idempotency-Key whose send was never queued', () => {
  it('frees only that send’s own pending claim', async () => {
    const commands = new Redis(connection());
    closers.push(() => commands.quit());
    const store = new IdempotencyStore(commands, redisKeys(prefix), 60);
    const record = store.recordKey('stack-a', 'key-release-own');
    await store.claim(record, { fingerprint: 'f', jobId: 'later-send', state: 'pending' });
    await store.release(record, 'earlier-send');
    expect(await store.get(record), 'another send’s claim').toMatchObject({ jobId: 'later-send' });
    await store.complete(record, { fingerprint: 'f', jobId: 'later-send', state: 'done', result: { status: 200, body: {}, route: 'cloud_api', reason: 'not_template' } });
    await store.release(record, 'later-send');
    expect(await store.get(record), 'an answered send').toMatchObject({ state: 'done' });
    await commands.set(record, 'not json', 'EX', 60);
    await store.release(record, 'later-send');
    expect(await commands.get(record)).toBe('not json');
    await commands.del(record);
  });

  it('is released once Redis takes the release, and a retry with the key is then sent instead of answered 504', async () => {
    // Closed in reverse order, the Redis servers last, whether the test passes or not.
    const owned: Array<() => Promise<unknown>> = [];
    try {
      // A Redis of its own, whose ACL first refuses the first ingress's scripts: its release fails, as while Redis is unreachable.
      const redis = await startPrivateRedis();
      owned.push(() => redis.stop());
      const admin = new Redis(redisOptionsFromUrl(redis.url));
      owned.push(() => admin.quit());
      await admin.call('ACL', 'SETUSER', 'ingress-a', 'on', 'nopass', '~*', '&*', '+@all', '-@scripting');
      const on = (options: object) => ({ ...redisOptionsFromUrl(redis.url), ...options });
      const keys = redisKeys(prefix);
      const env = { SEND_BATCH_MAX_ITEMS: 64, SEND_TIMEOUT_MS: 5000, IDEMPOTENCY_TTL_SECONDS: 60 };

      // Ingress A: its claim lands, its batch is refused before it is written (its queue's Redis, another one, has
      // stopped), and its release fails.
      const queueRedis = await startPrivateRedis();
      owned.push(() => queueRedis.stop());
      const queueConnection = new Redis({ ...redisOptionsFromUrl(queueRedis.url), enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      queueConnection.on('error', () => undefined);
      // Not closed: BullMQ would wait for the Redis that is gone. Its connection stops reconnecting.
      owned.push(async () => queueConnection.disconnect());
      const deadQueue = new Queue(QUEUES.send, { connection: queueConnection, prefix });
      deadQueue.on('error', () => undefined);
      await deadQueue.waitUntilReady();
      await queueRedis.stop();
      const commandsA = new Redis(on({ username: 'ingress-a', enableOfflineQueue: false, maxRetriesPerRequest: 1 }));
      const subscriberA = new Redis(on({ maxRetriesPerRequest: null }));
      owned.push(
        () => commandsA.quit(),
        () => subscriberA.quit(),
      );
      const a = await startSendPath({ env, queue: deadQueue, commands: commandsA, subscriber: subscriberA, keys, ingressId: 'release-a' });
      owned.push(() => a.idempotency.close());
      const payload = { n: 7 };
      const first = await a.dispatcher.dispatch({ stackId: 'stack-a', endpoint: 'messages', payload, idempotencyKey: 'key-never-queued' });
      expect(first).toMatchObject({ status: 503, body: { error: { code: 2 } } });
      const record = a.idempotency.recordKey('stack-a', 'key-never-queued');
      expect(JSON.parse((await admin.get(record))!), 'the claim a failed release left').toMatchObject({ state: 'pending' });

      // Ingress B, with a worker that answers every send: the retry waits for the key, then sends.
      const queue = new Queue(QUEUES.send, { connection: on({ maxRetriesPerRequest: null }), prefix });
      owned.push(() => queue.close());
      const sent: unknown[] = [];
      const worker = new Worker(
        QUEUES.send,
        async (job: Job<SendBatchJob>): Promise<SendBatchResult> => {
          const results: SendBatchResult['results'] = {};
          for (const item of job.data.items) {
            sent.push(item.payload);
            results[item.id] = { status: 200, body: { echo: item.payload.n }, route: 'cloud_api', reason: 'not_template' };
          }
          return { results };
        },
        { connection: on({ maxRetriesPerRequest: null }), prefix },
      );
      owned.push(() => worker.close());
      const commandsB = new Redis(on({ maxRetriesPerRequest: null }));
      const subscriberB = new Redis(on({ maxRetriesPerRequest: null }));
      owned.push(
        () => commandsB.quit(),
        () => subscriberB.quit(),
      );
      const b = await startSendPath({ env, queue, commands: commandsB, subscriber: subscriberB, keys, ingressId: 'release-b', jobCheckIntervalMs: 100 });
      owned.push(() => b.idempotency.close());
      const retry = b.dispatcher.dispatch({ stackId: 'stack-a', endpoint: 'messages', payload, idempotencyKey: 'key-never-queued' });
      await new Promise((r) => setTimeout(r, 300));
      expect(await admin.get(record), 'still claimed while A cannot release it').not.toBeNull();
      // Redis takes A's scripts again: A's release, tried again every second, frees the key.
      await admin.call('ACL', 'SETUSER', 'ingress-a', '+@scripting');
      const answer = await retry;
      expect(answer).toMatchObject({ status: 200, body: { echo: 7 } });
      expect(answer.replayed).toBeUndefined();
      expect(sent).toEqual([payload]);
      // The key is now the retry's own (this test's worker leaves its record to the real worker's outcome writer).
      expect(JSON.parse((await admin.get(record))!)).toMatchObject({ jobId: answer.jobId });
    } finally {
      for (const close of owned.reverse()) await close().catch(() => undefined);
    }
  });
});
