import type { Redis } from 'ioredis';
import type { RedisKeys } from '@gw/contracts';

/** Which WABA a template id belongs to, and which (name, language) it is. */
export interface TemplateOwner {
  wabaId: string;
  name: string;
  language: string;
}

/** A template as Meta lists or creates it; entries missing any field are skipped. */
export interface SeenTemplate {
  id?: unknown;
  name?: unknown;
  language?: unknown;
}

/**
 * Template id -> owner, in one Redis hash. Many stacks may share one Meta token,
 * so Meta would let any of them edit any template id: the gateway checks the id
 * against this map. It is filled from every template id the gateway sees (the
 * periodic sync and warm-ups, listings and creates passed through).
 */
export class TemplateOwners {
  constructor(private readonly options: { redis: Redis; keys: RedisKeys }) {}

  async remember(wabaId: string, templates: readonly SeenTemplate[]): Promise<void> {
    const fields: string[] = [];
    for (const t of templates) {
      if (typeof t.id !== 'string' || !t.id || typeof t.name !== 'string' || !t.name || typeof t.language !== 'string' || !t.language) continue;
      fields.push(t.id, JSON.stringify({ w: wabaId, n: t.name, l: t.language }));
    }
    if (fields.length) await this.options.redis.hset(this.options.keys.templateOwners(), ...fields);
  }

  async ownerOf(templateId: string): Promise<TemplateOwner | undefined> {
    const raw = await this.options.redis.hget(this.options.keys.templateOwners(), templateId);
    if (!raw) return undefined;
    try {
      const v = JSON.parse(raw) as { w?: unknown; n?: unknown; l?: unknown };
      return typeof v.w === 'string' && typeof v.n === 'string' && typeof v.l === 'string' ? { wabaId: v.w, name: v.n, language: v.l } : undefined;
    } catch {
      return undefined;
    }
  }

  async forget(templateIds: readonly string[]): Promise<void> {
    if (templateIds.length) await this.options.redis.hdel(this.options.keys.templateOwners(), ...templateIds);
  }
}
