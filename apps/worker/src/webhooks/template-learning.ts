import type { Category, CategoryCache, TemplateOwners } from '@gw/category-cache';
import type { TemplateRef } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { eachChange, valueOf } from './envelope.ts';
import type { Envelope, Json } from './envelope.ts';

export type CategoryAction = { kind: 'write'; wabaId: string; template: TemplateRef; category: Category } | { kind: 'evict'; wabaId: string; template: TemplateRef };

const WRITE_EVENTS = new Set(['APPROVED', 'REINSTATED']);
const EVICT_EVENTS = new Set(['PAUSED', 'DISABLED', 'DELETED', 'PENDING_DELETION', 'REJECTED']);

const categoryOf = (metaCategory: string): Category => (metaCategory.toUpperCase() === 'MARKETING' ? 'marketing' : 'non_marketing');

function templateOf(value: Json): TemplateRef | undefined {
  const name = value.message_template_name;
  const language = value.message_template_language;
  return typeof name === 'string' && name && typeof language === 'string' && language ? { name, language } : undefined;
}

function actionFor(field: unknown, wabaId: string, value: Json): CategoryAction | undefined {
  const template = templateOf(value);
  if (!template) return undefined;
  if (field === 'template_category_update') {
    // Only the completed change: the impending notice carries `correct_category`
    // and its `new_category` is still the current one.
    if (value.correct_category !== undefined || typeof value.previous_category !== 'string' || typeof value.new_category !== 'string') {
      return undefined;
    }
    return { kind: 'write', wabaId, template, category: categoryOf(value.new_category) };
  }
  if (field === 'message_template_status_update' && typeof value.event === 'string') {
    const event = value.event.toUpperCase();
    if (WRITE_EVENTS.has(event) && typeof value.message_template_category === 'string') {
      return { kind: 'write', wabaId, template, category: categoryOf(value.message_template_category) };
    }
    if (EVICT_EVENTS.has(event)) return { kind: 'evict', wabaId, template };
  }
  return undefined;
}

/** What the envelope's template webhooks teach the category cache, in order. */
export function categoryActions(envelope: Envelope): CategoryAction[] {
  const actions: CategoryAction[] = [];
  for (const { entry, change } of eachChange(envelope)) {
    const value = valueOf(change);
    if (!value || typeof entry.id !== 'string') continue;
    const action = actionFor(change.field, entry.id, value);
    if (action) actions.push(action);
  }
  return actions;
}

/** Applies the actions; a failure throws so the inbound job is retried (writes and evictions are idempotent). */
export async function applyCategoryActions(actions: CategoryAction[], cache: Pick<CategoryCache, 'write' | 'evict'>, log: Logger): Promise<void> {
  for (const action of actions) {
    if (action.kind === 'write') await cache.write(action.wabaId, action.template, action.category, 'webhook');
    else await cache.evict(action.wabaId, action.template);
    log.info(
      {
        wabaId: action.wabaId,
        template: action.template.name,
        language: action.template.language,
        action: action.kind,
        category: action.kind === 'write' ? action.category : undefined,
      },
      'template category learned from webhook',
    );
  }
}

/** One template id a template webhook names, with its WABA; `deleted` when Meta says it is gone. */
export interface TemplateIdSeen {
  wabaId: string;
  id: string;
  name: string;
  language: string;
  deleted: boolean;
}

/** The template ids the envelope's template webhooks name (the Graph pass-through's tenancy learns them too). */
export function templateIdsOf(envelope: Envelope): TemplateIdSeen[] {
  const seen: TemplateIdSeen[] = [];
  for (const { entry, change } of eachChange(envelope)) {
    if (change.field !== 'message_template_status_update' && change.field !== 'template_category_update') continue;
    const value = valueOf(change);
    const template = value && templateOf(value);
    const rawId = value?.message_template_id;
    const id = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : typeof rawId === 'string' && rawId ? rawId : undefined;
    if (!template || !id || typeof entry.id !== 'string') continue;
    const deleted = typeof value.event === 'string' && value.event.toUpperCase() === 'DELETED';
    seen.push({ wabaId: entry.id, id, name: template.name, language: template.language, deleted });
  }
  return seen;
}

/** Remembers each id's WABA, forgets deleted ones; a failure throws so the inbound job is retried (both are idempotent). */
export async function applyTemplateIds(seen: TemplateIdSeen[], owners: Pick<TemplateOwners, 'remember' | 'forget'>): Promise<void> {
  for (const t of seen) {
    if (t.deleted) await owners.forget([t.id]);
    else await owners.remember(t.wabaId, [{ id: t.id, name: t.name, language: t.language }]);
  }
}
