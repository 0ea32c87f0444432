import { describe, expect, it } from 'vitest';
import { attemptBucket, createGatewayMetrics, renderMetrics, statusClass } from './gateway-metrics.ts';
import { startQueueCollector, type CountableQueue } from './queue-collector.ts';

describe('gateway metrics', () => {
  it('names every metric gateway_* and labels the process by service', async () => {
    const metrics = createGatewayMetrics('worker');
    metrics.messages.inc({ route: 'cloud_api', reason: 'checked_fallback', status_class: '2xx' });
    const { body, contentType } = await renderMetrics(metrics);
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toContain('gateway_messages_total{route="cloud_api",reason="checked_fallback",status_class="2xx",service="worker"} 1');
    const own = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => !/^(process|nodejs)_/.test(n));
    expect(own.every((n) => n.startsWith('gateway_'))).toBe(true);
  });

  it('keeps status codes and attempt numbers to a few label values', () => {
    expect([200, 201, 400, 503, 42].map(statusClass)).toEqual(['2xx', '2xx', '4xx', '5xx', 'other']);
    expect([1, 2, 3, 4, 5, 6, 10, 11, 40].map(attemptBucket)).toEqual(['1', '2', '3', '4-5', '4-5', '6-10', '6-10', '11+', '11+']);
  });
});

/** A queue of our own interface, standing in for BullMQ's counts. */
class CountedQueue implements CountableQueue {
  constructor(
    readonly name: string,
    private readonly counts: Record<string, number>,
  ) {}
  async getJobCounts(...types: string[]) {
    return Object.fromEntries(types.map((t) => [t, this.counts[t] ?? 0]));
  }
}

describe('the queue collector', () => {
  it('reports every state of every queue, and the failed set of dead-letter queues as dead letters', async () => {
    const metrics = createGatewayMetrics('ingress');
    const collector = startQueueCollector({
      queues: [new CountedQueue('send', { waiting: 3, active: 1 }), new CountedQueue('webhook-delivery', { failed: 7 })],
      deadLetterQueues: ['webhook-delivery'],
      metrics,
      intervalMs: 60_000,
      onError: (error) => {
        throw error;
      },
    });
    await collector.collect();
    collector.stop();
    const { body } = await renderMetrics(metrics);
    expect(body).toContain('gateway_queue_jobs{queue="send",state="waiting",service="ingress"} 3');
    expect(body).toContain('gateway_queue_jobs{queue="webhook-delivery",state="failed",service="ingress"} 7');
    expect(body).toContain('gateway_dead_letters{queue="webhook-delivery",service="ingress"} 7');
    expect(body).not.toContain('gateway_dead_letters{queue="send"');
  });
});
