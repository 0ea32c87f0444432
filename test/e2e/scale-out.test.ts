import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStack, post, startGateway, startSimulator, templateMessage, textMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { sendsLoggedBy, waitFor } from '../support/assertions.ts';

/**
 * Two ingress and two worker processes on one Redis: every reply must reach the
 * ingress that holds the client's connection, whichever worker ran the job.
 */
const stack = makeStack();
let sim: Simulator;
let gateway: Gateway;

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack);
  await sim.control.template(stack.wabaId, 'scale_promo', 'MARKETING');
  // Slow answers and few slots per worker: a burst cannot fit in one worker.
  await sim.control.fault('marketing_messages', { latencyMs: 40 });
  await sim.control.fault('messages', { latencyMs: 40 });
  gateway = await startGateway({
    stacks: [stack],
    metaUrl: sim.url,
    ingresses: 2,
    workers: 2,
    // Small batches too (a tick's sends share one queue job), so the burst spans many jobs.
    env: { WORKER_CONCURRENCY: '4', SEND_BATCH_MAX_ITEMS: '4', LOG_LEVEL: 'info' },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

describe('scale-out: two ingress and two worker processes on one Redis', () => {
  it('answers every request through either ingress with its own result, and both workers take jobs', async () => {
    expect(gateway.urls).toHaveLength(2);
    const sends = Array.from({ length: 60 }, (_, i) => {
      const to = `+1555${String(7000000 + i)}`;
      const body = i % 3 === 0 ? textMessage(`hello ${i}`, to) : templateMessage('scale_promo', 'en_US', to);
      return { to, url: gateway.urls[i % 2]!, body };
    });
    const answers = await Promise.all(sends.map((s) => post(`${s.url}/messages`, s.body, { authorization: `Bearer ${stack.apiKey}` })));

    const recorded = await sim.control.requests({ phoneNumberId: stack.phoneNumberId });
    const accepted = new Map<string, string[]>();
    for (const r of recorded) {
      if (r.status !== 200 || !r.wamid) continue;
      accepted.set(r.body.to, [...(accepted.get(r.body.to) ?? []), r.wamid]);
    }
    sends.forEach((send, i) => {
      const answer = answers[i]!;
      expect(answer.status, `send ${i}: ${answer.text}`).toBe(200);
      // Meta accepted exactly one message for this recipient, and this client got its id.
      expect(accepted.get(send.to), `recipient ${send.to}`).toEqual([answer.body.messages[0].id]);
      expect(answer.body.contacts[0].input).toBe(send.to);
    });

    const jobIds = answers.map((a) => String(a.headers['x-gateway-job-id']));
    expect(new Set(jobIds).size).toBe(sends.length);
    // A worker publishes the answer before it logs the send: give the last log lines a moment to arrive.
    const loggedSomewhere = () => {
      const logs = gateway.workers.map(sendsLoggedBy);
      return jobIds.every((id) => logs.some((ids) => ids.has(id)));
    };
    await waitFor('every answered send in a worker log', async () => loggedSomewhere(), 5000).catch(() => undefined);
    const [first, second] = gateway.workers.map(sendsLoggedBy) as [Set<string>, Set<string>];
    expect(first.size, 'jobs of worker 1').toBeGreaterThan(0);
    expect(second.size, 'jobs of worker 2').toBeGreaterThan(0);
    // Each job ran on exactly one worker, and every answered job ran somewhere.
    expect([...first].filter((id) => second.has(id))).toEqual([]);
    expect(jobIds.filter((id) => !first.has(id) && !second.has(id))).toEqual([]);
  });

  it('keeps answering through one ingress while the other is gone', async () => {
    await gateway.ingresses[1]!.stop();
    const answer = await post(`${gateway.urls[0]}/messages`, templateMessage('scale_promo', 'en_US', '+15557999999'), {
      authorization: `Bearer ${stack.apiKey}`,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-gateway-route']).toBe('marketing_messages');
  });
});
