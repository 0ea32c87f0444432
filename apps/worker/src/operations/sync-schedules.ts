import type { Queue } from 'bullmq';
import type { StackDirectory } from '@gw/config';
import { templateSyncSchedulerId } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { scheduleTemplateSyncs } from '../template-sync-schedule.ts';

/**
 * Keeps one template-sync schedule per stack while stacks come and go at run
 * time: upserts are idempotent, so every worker may do it on every change.
 */
export function followStackSchedules(options: { stacks: StackDirectory; queue: Queue; everyMs: number; logger: Logger }) {
  let known = new Set(options.stacks.all().map((s) => s.id));
  return async () => {
    const current = options.stacks.all();
    const gone = [...known].filter((id) => !current.some((s) => s.id === id));
    known = new Set(current.map((s) => s.id));
    try {
      await scheduleTemplateSyncs(options.queue, current, options.everyMs);
      for (const id of gone) await options.queue.removeJobScheduler(templateSyncSchedulerId(id));
    } catch (error) {
      options.logger.warn({ err: (error as Error).message }, 'could not update template-sync schedules after a stack change');
    }
  };
}
