import { Router } from 'express';
import { z } from 'zod';
import { webhookLanguage } from '../language.ts';
import { CATEGORIES } from '../seed.ts';
import type { SimulatorState } from '../state/state.ts';
import type { Template } from '../state/templates.ts';
import { templatePayload } from '../webhooks/payloads.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';

const templateKey = { wabaId: z.string().min(1), name: z.string().min(1), language: z.string().min(1) };

const categoryChangeSchema = z.object({
  ...templateKey,
  newCategory: z.string().toUpperCase().pipe(z.enum(CATEGORIES)),
  phase: z.enum(['completed', 'impending']).default('completed'),
  /** Impending only: unix seconds when the change lands (default: 24 h from now). */
  categoryUpdateTimestamp: z.number().int().optional(),
});

const statusChangeSchema = z.object({
  ...templateKey,
  event: z.string().min(1).toUpperCase(),
  reason: z.string().nullable().optional(),
});

// Events that change whether a template can be sent; the rest are notices only.
const STATUS_FOR_EVENT: Record<string, string> = {
  APPROVED: 'APPROVED',
  REINSTATED: 'APPROVED',
  PAUSED: 'PAUSED',
  DISABLED: 'DISABLED',
  REJECTED: 'REJECTED',
  PENDING: 'PENDING',
};

const ids = (t: Template) => ({
  message_template_id: Number(t.id),
  message_template_name: t.name,
  message_template_language: webhookLanguage(t.language),
});

/** Template lifecycle events: change the catalogue like Meta would and emit the webhook. */
export function templateEventRoutes(state: SimulatorState, webhooks: Webhooks): Router {
  const router = Router();
  const emit = (wabaId: string, field: string, value: object) => webhooks.dispatcher.start(field, field, templatePayload(wabaId, field, value)) !== undefined;

  router.post('/template-category-change', (req, res) => {
    const input = categoryChangeSchema.parse(req.body);
    const template = state.templates.find(input.wabaId, input.name, input.language);
    if (!template) return void res.status(404).json({ error: 'template not found' });
    let value: object;
    if (input.phase === 'impending') {
      // Announced 24 h ahead; routing must keep using the current category.
      const when = input.categoryUpdateTimestamp ?? Math.floor(Date.now() / 1000) + 86_400;
      value = { ...ids(template), new_category: template.category, correct_category: input.newCategory, category_update_timestamp: when };
    } else {
      value = { ...ids(template), previous_category: template.category, new_category: input.newCategory };
      template.category = input.newCategory;
    }
    const webhookSent = emit(template.wabaId, 'template_category_update', value);
    res.json({ template, webhook: webhookSent ? value : null });
  });

  router.post('/template-status-change', (req, res) => {
    const input = statusChangeSchema.parse(req.body);
    const template = state.templates.find(input.wabaId, input.name, input.language);
    if (!template) return void res.status(404).json({ error: 'template not found' });
    const status = STATUS_FOR_EVENT[input.event];
    if (status) template.status = status;
    const value = {
      event: input.event,
      ...ids(template),
      reason: input.reason ?? 'NONE',
      message_template_category: template.category,
    };
    const webhookSent = emit(template.wabaId, 'message_template_status_update', value);
    res.json({ template, webhook: webhookSent ? value : null });
  });

  return router;
}
