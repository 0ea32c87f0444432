import type { Queue } from 'bullmq';
import type { Stack } from '@gw/config';
import { JOBS, jobOf, templateSyncSchedulerId, type TemplateSyncJob } from '@gw/contracts';

/**
 * One repeatable sync per stack. Upserting is idempotent, so every worker
 * process may do it at start; an interval of 0 removes the schedules.
 */
export async function scheduleTemplateSyncs(queue: Queue, stacks: Stack[], everyMs: number): Promise<void> {
  for (const stack of stacks) {
    const schedulerId = templateSyncSchedulerId(stack.id);
    if (everyMs <= 0) {
      await queue.removeJobScheduler(schedulerId);
      continue;
    }
    const data: TemplateSyncJob = { stackId: stack.id, trigger: 'schedule' };
    await queue.upsertJobScheduler(schedulerId, { every: everyMs }, jobOf(JOBS.templateSync, data, undefined));
  }
}
