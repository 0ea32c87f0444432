import { z } from 'zod';

export const templateRefSchema = z.object({
  name: z.string().min(1).max(512),
  language: z.string().min(2).max(15),
});

/** Reads a WABA's templates from Meta and writes their categories to the cache. */
export const templateSyncJobSchema = z.object({
  stackId: z.string().min(1),
  /** The stack's permanent uid when queued: a job of a deleted stack never runs for a new stack with its id. */
  stackUid: z.string().min(1).optional(),
  /** Only these templates; absent means the whole WABA. */
  templates: z.array(templateRefSchema).max(10_000).optional(),
  trigger: z.enum(['api', 'cli', 'schedule']),
});
export type TemplateSyncJob = z.infer<typeof templateSyncJobSchema>;

export interface TemplateSyncProgress {
  pages: number;
  seen: number;
  written: number;
}

export interface TemplateSyncSummary {
  marketing: number;
  nonMarketing: number;
  /** Requested templates Meta does not list for the WABA. */
  notFound: Array<{ name: string; language: string }>;
  errors: string[];
  pages: number;
  durationMs: number;
  /** The WABA's `disable_marketing_messages_on_cloud_api`, when Meta answered it. */
  cloudMarketingOff?: boolean;
}
