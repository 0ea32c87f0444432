import { Queue, type QueueOptions } from 'bullmq';
import { DEAD_LETTER_QUEUES, QUEUES } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { GatewayMetrics } from './gateway-metrics.ts';
import { startQueueCollector } from './queue-collector.ts';

export interface QueueMetricsOptions {
  /** A shared client: BullMQ does not close it, the caller does. */
  connection: QueueOptions['connection'];
  prefix: string;
  metrics: Pick<GatewayMetrics, 'queueJobs' | 'deadLetters'>;
  intervalMs: number;
  logger: Logger;
}

/**
 * A handle on every queue in QUEUES (read at start: a queue added there shows up
 * in /metrics and Bull Board), with their depths and dead letters sampled into
 * the metrics. Both the ingress and the worker run one.
 */
export function startQueueMetrics({ connection, prefix, metrics, intervalMs, logger }: QueueMetricsOptions) {
  const queues = Object.values(QUEUES).map((name) => new Queue(name, { connection, prefix }));
  for (const queue of queues) queue.on('error', (error: Error) => logger.warn({ queue: queue.name, err: error.message }, 'redis (operations queue) error'));
  const collector = startQueueCollector({
    queues,
    deadLetterQueues: [...DEAD_LETTER_QUEUES],
    metrics,
    intervalMs,
    onError: (error) => logger.warn({ err: error.message }, 'could not read queue depths'),
  });
  return {
    queues,
    async close() {
      collector.stop();
      await Promise.allSettled(queues.map((queue) => queue.close()));
    },
  };
}
