import { describe, expect, it } from 'vitest';
import { enqueue, isDeadLettered, JOBS, jobOf, templateSyncSchedulerId } from './jobs.ts';
import { QUEUES } from './queues.ts';

describe('the job catalog', () => {
  it('keeps the names and queues jobs already waiting in Redis were stored under', () => {
    const names = Object.fromEntries(Object.entries(JOBS).map(([key, spec]) => [key, `${spec.queue}/${spec.name}`]));
    expect(names).toEqual({
      sendBatch: 'send/send-batch',
      sendCarrier: 'send/send-carrier',
      templateWarmup: 'template-sync/warmup',
      templateSync: 'template-sync/sync',
      webhookInbound: 'webhook-inbound/inbound',
      webhookDelivery: 'webhook-delivery/deliver',
    });
    expect(Object.values(JOBS).every((spec) => (Object.values(QUEUES) as string[]).includes(spec.queue))).toBe(true);
  });

  it('builds a job from the defaults, with extra options last', () => {
    const job = jobOf(JOBS.webhookDelivery, { stackId: 's', phoneNumberId: null, body: '{}', kinds: [], inboundJobId: 'in_1', receivedAt: 1 }, { attempts: 12 }, { jobId: 'd1' });
    expect(job).toMatchObject({ name: 'deliver', opts: { attempts: 12, backoff: { type: 'webhook-schedule' }, removeOnFail: false, jobId: 'd1' } });
    expect(jobOf(JOBS.templateWarmup, { stackId: 's', trigger: 'api' }, undefined).opts).toMatchObject({ attempts: 1 });
  });

  it('refuses to add a job to another queue', async () => {
    const added: unknown[] = [];
    const queue = { name: QUEUES.send, add: async (...args: unknown[]) => void added.push(args) } as never;
    expect(() => enqueue(queue, JOBS.templateWarmup, { stackId: 's', trigger: 'api' }, undefined)).toThrow(/template-sync/);
    expect(added).toEqual([]);
  });

  it('names one scheduler per stack', () => {
    expect(templateSyncSchedulerId('acme')).toBe('template-sync:acme');
  });
});

describe('isDeadLettered', () => {
  const job = (attemptsMade: number, attempts?: number) => ({ attemptsMade, opts: attempts === undefined ? {} : { attempts } });
  it('parks a job that used every attempt or was refused outright', () => {
    expect(isDeadLettered(job(3, 3), new Error('x'))).toBe(true);
    expect(isDeadLettered(job(1), new Error('x'))).toBe(true);
    expect(isDeadLettered(job(1, 3), Object.assign(new Error('x'), { name: 'UnrecoverableError' }))).toBe(true);
  });
  it('does not park a job with attempts left, nor a fairness delay', () => {
    expect(isDeadLettered(job(1, 3), new Error('x'))).toBe(false);
    expect(isDeadLettered(job(3, 3), Object.assign(new Error('x'), { name: 'DelayedError' }))).toBe(false);
  });
});
