import express, { Router } from 'express';
import { Job, type Queue } from 'bullmq';
import { z } from 'zod';
import { tenantOf, type Stack, type StackDirectory } from '@gw/config';
import type { CategoryCache } from '@gw/category-cache';
import { describePayloadIssue, gatewayErrors, enqueue, JOBS, metaError, templateRefSchema, type TemplateSyncJob, type TemplateSyncSummary } from '@gw/contracts';
import { requireStack } from './auth.ts';
import { sendGatewayError } from './http-errors.ts';

export interface TemplateRoutesDeps {
  stacks: StackDirectory;
  categories: CategoryCache;
  templateSyncQueue: Queue;
  /** Warm-ups of one stack waiting or running at once; more get a 429. */
  maxQueuedWarmups?: number;
}

export const warmupBodySchema = z.strictObject({ templates: z.array(templateRefSchema).min(1).max(10_000).optional() });

/** A job of this stack, not of a deleted stack that had its id. */
const ownJob = (data: TemplateSyncJob, stack: Stack) => data.stackId === stack.id && data.stackUid === stack.uid;

/** Warm-up jobs and the category cache, each scoped to the caller's stack. */
export function templateRoutes({ stacks, categories, templateSyncQueue, maxQueuedWarmups = 3 }: TemplateRoutesDeps): Router {
  const router = Router();
  router.use('/templates', requireStack(stacks), express.json({ limit: '1mb', type: () => true }));

  // One check-and-add at a time per stack on this process, so parallel requests cannot all pass the cap.
  const pending = new Map<string, Promise<unknown>>();
  const serially = <T>(tenant: string, task: () => Promise<T>): Promise<T> => {
    const run = (pending.get(tenant) ?? Promise.resolve()).then(task, task);
    const settled = run.catch(() => undefined);
    pending.set(tenant, settled);
    void settled.then(() => {
      if (pending.get(tenant) === settled) pending.delete(tenant);
    });
    return run;
  };
  const queuedWarmups = async (stack: Stack) => {
    const jobs = (await templateSyncQueue.getJobs(['waiting', 'active', 'delayed', 'prioritized'])) as Array<Job | undefined>;
    return jobs.filter((job) => job?.name === JOBS.templateWarmup.name && ownJob(job.data as TemplateSyncJob, stack)).length;
  };

  router.post('/templates/warmup', async (req, res) => {
    const parsed = warmupBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) return sendGatewayError(res, gatewayErrors.invalidParameter(describePayloadIssue(parsed.error)));
    const stack = res.locals.stack;
    const data: TemplateSyncJob = { stackId: stack.id, ...(stack.uid ? { stackUid: stack.uid } : {}), templates: parsed.data.templates, trigger: 'api' };
    try {
      const job = await serially(tenantOf(stack), async () => {
        if ((await queuedWarmups(stack)) >= maxQueuedWarmups) return undefined;
        return enqueue(templateSyncQueue, JOBS.templateWarmup, data, undefined);
      });
      if (!job) {
        res.set('retry-after', '5');
        return sendGatewayError(
          res,
          gatewayErrors.stackLimit(`Stack ${stack.id} already has ${maxQueuedWarmups} warm-ups queued or running, the gateway's limit. Retry when one has finished.`, 5),
        );
      }
      res.status(202).json({ id: job.id, status: 'queued', status_url: `/templates/warmup/${job.id}` });
    } catch {
      sendGatewayError(res, gatewayErrors.unavailable('The warm-up queue is unavailable. Retry later.'));
    }
  });

  router.get('/templates/warmup/:id', async (req, res) => {
    let job = await Job.fromId<TemplateSyncJob, TemplateSyncSummary>(templateSyncQueue, req.params.id).catch(() => undefined);
    // Another stack's job is reported as absent, not as forbidden: ids reveal nothing.
    if (!job || !ownJob(job.data, res.locals.stack)) {
      return sendGatewayError(res, metaError(404, 100, 'Invalid parameter', `No warm-up job ${req.params.id} for this stack.`));
    }
    const state = await job.getState();
    // The job may have finished between the read above and getState: read it again so a
    // "completed" answer always carries its summary.
    if (state === 'completed' || state === 'failed') job = (await Job.fromId<TemplateSyncJob, TemplateSyncSummary>(templateSyncQueue, req.params.id).catch(() => undefined)) ?? job;
    res.json({
      id: job.id,
      state,
      progress: job.progress,
      summary: job.returnvalue ?? null,
      failed_reason: job.failedReason ?? null,
      created_at: new Date(job.timestamp).toISOString(),
      finished_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    });
  });

  router.get('/templates/categories', async (_req, res) => {
    const data = await categories.list(res.locals.stack.wabaId);
    res.json({ data });
  });

  router.delete('/templates/categories/:name/:language', async (req, res) => {
    const { name, language } = req.params;
    const deleted = await categories.evict(res.locals.stack.wabaId, { name, language });
    if (!deleted) return sendGatewayError(res, metaError(404, 100, 'Invalid parameter', `No cached category for ${name} (${language}).`));
    res.json({ deleted: true, name, language });
  });

  return router;
}
