import { z } from 'zod';

/**
 * The part of a Cloud API message the gateway relies on. Everything else passes
 * through untouched, so new Meta fields keep working.
 */
const templateSchema = z.looseObject({
  name: z.string().min(1).max(512),
  language: z.looseObject({ code: z.string().min(2).max(15) }),
  components: z.array(z.looseObject({ type: z.string() })).optional(),
});

export const messagePayloadSchema = z
  .looseObject({
    messaging_product: z.literal('whatsapp'),
    recipient_type: z.string().optional(),
    to: z.string().min(1).max(64),
    type: z.string().min(1).max(32).optional(),
    template: templateSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.type === 'template' && !value.template) {
      ctx.addIssue({ code: 'custom', path: ['template'], message: 'is required when type is "template"' });
    }
  });

export type MessagePayload = z.infer<typeof messagePayloadSchema>;

export interface TemplateRef {
  name: string;
  language: string;
}

export function templateOf(payload: Record<string, unknown>): TemplateRef | undefined {
  if (payload.type !== 'template') return undefined;
  const template = payload.template as { name?: unknown; language?: { code?: unknown } } | undefined;
  if (typeof template?.name !== 'string' || typeof template.language?.code !== 'string') return undefined;
  return { name: template.name, language: template.language.code };
}

/** A Meta-style description of the first problem, naming the field. */
export function describePayloadIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'Invalid message payload.';
  const field = issue.path.join('.') || '(body)';
  return `Invalid value for "${field}": ${issue.message}`;
}
