import type { Job, Queue } from 'bullmq';
import type { z } from 'zod';

/** Epoch ms, inclusive, on the time a job failed for good. */
export interface FailedTimeFilter {
  from?: number;
  to?: number;
}

const PAGE = 200;
/** A bound on how much of a failed set one admin request reads. */
export const MAX_SCAN = 50_000;

/**
 * Failed jobs of a queue whose data parses and that `accept` keeps, newest
 * first, at most `wanted`: the dead letters operators list and replay.
 */
export async function scanFailed<T>(
  queue: Queue,
  schema: z.ZodType<T>,
  filter: FailedTimeFilter,
  wanted: number,
  accept: (data: T) => boolean = () => true,
): Promise<Array<{ job: Job; data: T }>> {
  const found: Array<{ job: Job; data: T }> = [];
  for (let start = 0; start < MAX_SCAN && found.length < wanted; start += PAGE) {
    const page = (await queue.getFailed(start, start + PAGE - 1)) as Job[];
    if (page.length === 0) break;
    for (const job of page) {
      if (!job) continue;
      const failedAt = job.finishedOn ?? 0;
      // Newest first: once past `from`, nothing older can match.
      if (filter.from !== undefined && failedAt < filter.from) return found;
      if (filter.to !== undefined && failedAt > filter.to) continue;
      const data = schema.safeParse(job.data);
      if (!data.success || !accept(data.data)) continue;
      found.push({ job, data: data.data });
      if (found.length >= wanted) break;
    }
    if (page.length < PAGE) break;
  }
  return found;
}

/** Moves failed jobs back to waiting with a fresh attempt budget and the same ids. */
export async function retryFailed(jobs: Job[]): Promise<{ matched: number; replayed: number; failed: number }> {
  let replayed = 0;
  for (const job of jobs) {
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      replayed += 1;
    } catch {
      // Replayed or removed meanwhile: counted as not replayed by this call.
    }
  }
  return { matched: jobs.length, replayed, failed: jobs.length - replayed };
}

/** The failed job with this id, or undefined when there is none (or it is not failed). */
export async function failedJob(queue: Queue, id: string): Promise<Job | undefined> {
  const job = await queue.getJob(id);
  return job && (await job.isFailed()) ? job : undefined;
}
