import { templateIdFor } from '../ids.ts';
import { normaliseLanguage } from '../language.ts';
import type { Category, TemplateInput } from '../seed.ts';

export interface Template {
  id: string;
  wabaId: string;
  name: string;
  /** Always in canonical form, see normaliseLanguage. */
  language: string;
  category: Category;
  status: string;
  /** Epoch ms until which the MM API answers 134101; 0 when synced. */
  syncingUntil: number;
  /** Creation order; listing pages walk it so cursors survive later upserts. */
  order: number;
}

function keyOf(wabaId: string, name: string, language: string): string {
  return `${wabaId}\0${name}\0${normaliseLanguage(language)}`;
}

export class TemplateStore {
  #byKey = new Map<string, Template>();
  #nextOrder = 1;

  upsert(input: TemplateInput, now = Date.now()): Template {
    const language = normaliseLanguage(input.language);
    const key = keyOf(input.wabaId, input.name, language);
    const existing = this.#byKey.get(key);
    const template: Template = {
      id: existing?.id ?? templateIdFor(input.wabaId, input.name, language),
      wabaId: input.wabaId,
      name: input.name,
      language,
      category: input.category,
      status: input.status ?? 'APPROVED',
      syncingUntil: input.syncingForMs ? now + input.syncingForMs : 0,
      order: existing?.order ?? this.#nextOrder++,
    };
    this.#byKey.set(key, template);
    return template;
  }

  find(wabaId: string, name: string, language: string): Template | undefined {
    return this.#byKey.get(keyOf(wabaId, name, language));
  }

  findById(id: string): Template | undefined {
    for (const template of this.#byKey.values()) if (template.id === id) return template;
    return undefined;
  }

  remove(wabaId: string, name: string, language: string): boolean {
    return this.#byKey.delete(keyOf(wabaId, name, language));
  }

  /** Templates of one WABA in creation order (Map keeps insertion order). */
  list(wabaId: string): Template[] {
    return [...this.#byKey.values()].filter((t) => t.wabaId === wabaId);
  }

  clear(): void {
    this.#byKey.clear();
    this.#nextOrder = 1;
  }
}
