import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '@gw/config';
import { batchJobIdOf, QUEUES, redisKeys, type SendBatchJob, type SendBatchResult } from '@gw/contracts';
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
