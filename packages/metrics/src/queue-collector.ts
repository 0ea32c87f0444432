import type { GatewayMetrics } from './gateway-metrics.ts';

/** The part of a BullMQ Queue the collector reads. */
export interface CountableQueue {
  name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children', 'failed', 'completed'] as const;

export interface QueueCollectorOptions {
  queues: CountableQueue[];
  /** Queues whose failed set is a dead-letter state. */
  deadLetterQueues: string[];
  metrics: Pick<GatewayMetrics, 'queueJobs' | 'deadLetters'>;
  intervalMs: number;
  onError: (error: Error) => void;
}

/**
 * Reads queue depths on a timer rather than at scrape time, so a slow or
 * unreachable Redis never stalls /metrics (the last values stay).
 */
export function startQueueCollector(options: QueueCollectorOptions) {
  const collect = async () => {
    await Promise.all(
      options.queues.map(async (queue) => {
        const counts = await queue.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) options.metrics.queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
        if (options.deadLetterQueues.includes(queue.name)) options.metrics.deadLetters.set({ queue: queue.name }, counts.failed ?? 0);
      }),
    );
  };
  const tick = () => collect().catch(options.onError);
  void tick();
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return {
    collect,
    stop: () => clearInterval(timer),
  };
}
