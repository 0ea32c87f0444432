import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@gw/logger';
import { createGatewayMetrics } from '@gw/metrics';
import type { SendItem } from '@gw/contracts';
import { createSendProcessor } from './send-processor.ts';
import { SendObserver } from './operations/send-observer.ts';
import type { SendOutcomeWriter } from './send-outcome-writer.ts';
import type { SendService } from './send-service.ts';

const item: SendItem = { id: 'j.0', stackId: 's1', endpoint: 'messages', payload: { type: 'template' }, receivedAt: Date.now() };
const fallback = { status: 200, body: {}, route: 'cloud_api' as const, reason: 'checked_fallback' as const, mmErrorCode: 134100, wamid: 'wamid.A' };

describe('the send processor', () => {
  it("counts a send in the metrics before its answer is written (a scrape after the client's answer finds it)", async () => {
    const metrics = createGatewayMetrics('worker');
    const countedAtAnswer: unknown[] = [];
    const outcomes = {
      write: async () => countedAtAnswer.push((await metrics.fallbacks.get()).values),
    } as unknown as SendOutcomeWriter;
    const service = { send: async () => fallback } as unknown as SendService;
    const processSendBatch = createSendProcessor({ service, outcomes, logger: createLogger({ name: 'worker', level: 'silent' }), observer: new SendObserver(metrics) });
    const job = { id: 'b1', data: { replyTo: 'ingress:1', items: [item] }, updateData: async () => undefined } as unknown as Job;

    expect(await processSendBatch(job)).toEqual({ results: { 'j.0': fallback } });
    expect(countedAtAnswer).toEqual([[{ value: 1, labels: { reason: 'checked_fallback', error_code: '134100' } }]]);
  });

  it('sends nothing of a batch job whose start a Redis failover undid (FailoverGuard says it is not this worker’s)', async () => {
    let sends = 0;
    let written = 0;
    const service = { send: async () => (sends++, fallback) } as unknown as SendService;
    const outcomes = { write: async () => void written++ } as unknown as SendOutcomeWriter;
    const asked: Array<string | undefined> = [];
    const processSendJob = createSendProcessor({
      service,
      outcomes,
      logger: createLogger({ name: 'worker', level: 'silent' }),
      startIsOurs: async (_job, token) => (asked.push(token), token === 'ours'),
    });
    const job = () => ({ id: 'b1', name: 'send-batch', data: { replyTo: 'ingress:1', items: [item] }, updateData: async () => undefined }) as unknown as Job;

    await expect(processSendJob(job(), 'undone')).rejects.toThrow(/failover/);
    expect({ sends, written }).toEqual({ sends: 0, written: 0 });
    expect(await processSendJob(job(), 'ours')).toEqual({ results: { 'j.0': fallback } });
    expect({ sends, written, asked }).toEqual({ sends: 1, written: 1, asked: ['undone', 'ours'] });
  });
});
