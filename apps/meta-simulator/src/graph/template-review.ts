import { webhookLanguage } from '../language.ts';
import type { Template, TemplateStore } from '../state/templates.ts';
import { templatePayload } from '../webhooks/payloads.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';

/** The ids every template webhook carries (`message_template_id` is an integer in Meta's payloads). */
export const templateIds = (t: Template) => ({
  message_template_id: Number(t.id),
  message_template_name: t.name,
  message_template_language: webhookLanguage(t.language),
});

/** Emits a `message_template_status_update` for the template's WABA (a no-op without a webhook URL). */
export function emitTemplateStatus(webhooks: Webhooks, template: Template, event: string, reason = 'NONE'): void {
  const field = 'message_template_status_update';
  const value = { event, ...templateIds(template), reason, message_template_category: template.category };
  webhooks.dispatcher.start(field, field, templatePayload(template.wabaId, field, value));
}

/** Emits a completed `template_category_update` (`previous_category` -> `new_category`). */
export function emitCategoryChange(webhooks: Webhooks, template: Template, previous: string): void {
  const field = 'template_category_update';
  const value = { ...templateIds(template), previous_category: previous, new_category: template.category };
  webhooks.dispatcher.start(field, field, templatePayload(template.wabaId, field, value));
}

/**
 * Meta reviews a created or edited template, then approves it (usually within
 * minutes; here after `reviewMs`) and says so by webhook. A template deleted or
 * changed again meanwhile is left alone.
 */
export function scheduleReview(templates: TemplateStore, webhooks: Webhooks, template: Template, reviewMs: number): void {
  const approve = () => {
    const current = templates.findById(template.id);
    if (current !== template || current.status !== 'PENDING') return;
    current.status = 'APPROVED';
    emitTemplateStatus(webhooks, current, 'APPROVED');
  };
  setTimeout(approve, reviewMs).unref();
}
