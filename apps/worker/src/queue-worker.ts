import type { Worker } from 'bullmq';
import type { Logger } from '@gw/logger';

/** The log lines every queue worker of this process writes: worker errors and failed jobs. */
export function logWorkerEvents(worker: Worker, logger: Logger): void {
  worker.on('error', (error) => logger.error({ queue: worker.name, err: error.message }, 'worker error'));
  worker.on('failed', (job, error) => logger.error({ queue: worker.name, jobId: job?.id, err: error.message }, 'job failed'));
}
