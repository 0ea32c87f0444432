import { UnrecoverableError, type Job } from 'bullmq';
import type { StackDirectory } from '@gw/config';
import { templateSyncJobSchema, type TemplateSyncSummary } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { TemplateSyncService } from './template-sync-service.ts';

export interface TemplateSyncProcessorDeps {
  service: TemplateSyncService;
  stacks: StackDirectory;
  logger: Logger;
}

export function createTemplateSyncProcessor({ service, stacks, logger }: TemplateSyncProcessorDeps) {
  return async function processTemplateSync(job: Job): Promise<TemplateSyncSummary> {
    const data = templateSyncJobSchema.parse(job.data);
    const stack = stacks.get(data.stackId);
    if (!stack) throw new UnrecoverableError(`unknown stack ${data.stackId}`);
    if (data.stackUid && data.stackUid !== stack.uid) throw new UnrecoverableError(`stack ${data.stackId} was deleted after this job was queued`);
    const log = logger.child({ jobId: job.id, stackId: stack.id, trigger: data.trigger });
    const summary = await service.sync(stack, data.templates, (progress) => job.updateProgress(progress));
    log.info({ ...summary, notFound: summary.notFound.length }, 'template categories synced');
    return summary;
  };
}
