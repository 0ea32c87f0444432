import { categoryFromMeta, type SeenTemplate, type TemplateOwner } from '@gw/category-cache';
import type { TemplateRef } from '@gw/contracts';

/**
 * What a successful template call through the gateway teaches the category cache
 * and the template-id map, decided here without I/O and applied by the routes.
 */
export type TemplateCacheAction =
  | { kind: 'write'; template: TemplateRef; category: 'marketing' | 'non_marketing' }
  | { kind: 'evict'; template: TemplateRef }
  /** Every language of one name (Meta's delete by name removes them all). */
  | { kind: 'evict_name'; name: string }
  | { kind: 'own'; templates: SeenTemplate[] }
  | { kind: 'forget'; ids: string[] };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const idText = (v: unknown): string | undefined => text(v) ?? (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : undefined);

/** `POST /{waba_id}/message_templates` answered `{id, status, category}`: Meta's category wins over the one asked for. */
export function afterCreate(request: unknown, answer: unknown): TemplateCacheAction[] {
  if (!isObject(request) || !isObject(answer)) return [];
  const name = text(request.name);
  const language = text(request.language);
  if (!name || !language) return [];
  const actions: TemplateCacheAction[] = [];
  const id = idText(answer.id);
  if (id) actions.push({ kind: 'own', templates: [{ id, name, language }] });
  const category = text(answer.category) ?? text(request.category);
  if (category) actions.push({ kind: 'write', template: { name, language }, category: categoryFromMeta(category) });
  return actions;
}

/** `POST /{template_id}` with a category answered success: the template's new category. An edit of components alone teaches nothing. */
export function afterEdit(owner: TemplateOwner, request: unknown, answer: unknown): TemplateCacheAction[] {
  if (!isObject(request) || !isObject(answer) || answer.success === false) return [];
  const category = text(request.category);
  return category ? [{ kind: 'write', template: { name: owner.name, language: owner.language }, category: categoryFromMeta(category) }] : [];
}

/**
 * `DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]` answered success: by id only
 * that template's language goes; by name every language of the name.
 */
export function afterDelete(query: URLSearchParams, byId: TemplateOwner | undefined): TemplateCacheAction[] {
  const name = text(query.get('name'));
  const hsmId = text(query.get('hsm_id'));
  if (hsmId && byId)
    return [
      { kind: 'evict', template: { name: byId.name, language: byId.language } },
      { kind: 'forget', ids: [hsmId] },
    ];
  if (hsmId) return name ? [{ kind: 'forget', ids: [hsmId] }] : [];
  return name ? [{ kind: 'evict_name', name }] : [];
}

/** A listing's page: every id it shows, and the categories of the templates it shows whole. */
export function afterList(answer: unknown): TemplateCacheAction[] {
  if (!isObject(answer) || !Array.isArray(answer.data)) return [];
  const templates: SeenTemplate[] = [];
  const actions: TemplateCacheAction[] = [];
  for (const item of answer.data as unknown[]) {
    if (!isObject(item)) continue;
    const id = idText(item.id);
    const name = text(item.name);
    const language = text(item.language);
    if (!name || !language) continue;
    if (id) templates.push({ id, name, language });
    const category = text(item.category);
    if (category) actions.push({ kind: 'write', template: { name, language }, category: categoryFromMeta(category) });
  }
  return templates.length ? [{ kind: 'own', templates }, ...actions] : actions;
}

/**
 * Meta's paging links point at Graph, where the client's API key is worthless: the
 * same query on the gateway instead (origin and version the client used).
 */
export function rewritePaging(answer: unknown, metaPrefix: string, clientPrefix: string): boolean {
  if (!isObject(answer) || !isObject(answer.paging)) return false;
  let changed = false;
  for (const link of ['next', 'previous'] as const) {
    const url = answer.paging[link];
    if (typeof url !== 'string' || !url.startsWith(metaPrefix)) continue;
    const rewritten = new URL(clientPrefix + url.slice(metaPrefix.length));
    rewritten.searchParams.delete('access_token');
    answer.paging[link] = rewritten.toString();
    changed = true;
  }
  return changed;
}
