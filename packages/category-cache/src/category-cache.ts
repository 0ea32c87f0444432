import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { type RedisKeys, type TemplateRef } from '@gw/contracts';
import type { CachedCategory } from '@gw/routing';

export type Category = 'marketing' | 'non_marketing';
export type CategorySource = 'learned' | 'sync' | 'webhook';

interface Entry {
  c: Category;
  src: CategorySource;
  /** Expiry, epoch ms: the in-process copy never outlives the Redis entry. */
  exp: number;
}

export interface CategoryCacheOptions {
  redis: Redis;
  keys: RedisKeys;
  ttlSeconds: number;
  localTtlMs: number;
}

/**
 * Template categories keyed by (WABA, template, language), in Redis with a TTL
 * and, for hot templates, in process for a short while.
 */
export class CategoryCache {
  private readonly local: LRUCache<string, Entry> | undefined;

  constructor(private readonly options: CategoryCacheOptions) {
    this.local = options.localTtlMs > 0 ? new LRUCache({ max: 10_000 }) : undefined;
  }

  async read(wabaId: string, template: TemplateRef): Promise<CachedCategory> {
    const key = this.options.keys.category(wabaId, template.name, template.language);
    const hit = this.local?.get(key);
    if (hit && hit.exp > Date.now()) return hit.c;
    let raw: string | null;
    try {
      raw = await this.options.redis.get(key);
    } catch {
      return 'unavailable';
    }
    if (raw === null) return 'unknown';
    const entry = parseEntry(raw);
    if (!entry) return 'unavailable';
    this.remember(key, entry);
    return entry.c;
  }

  async write(wabaId: string, template: TemplateRef, category: Category, source: CategorySource): Promise<void> {
    const key = this.options.keys.category(wabaId, template.name, template.language);
    const entry: Entry = { c: category, src: source, exp: Date.now() + this.options.ttlSeconds * 1000 };
    this.remember(key, entry);
    await this.options.redis.set(key, JSON.stringify(entry), 'EX', this.options.ttlSeconds);
  }

  async evict(wabaId: string, template: TemplateRef): Promise<void> {
    const key = this.options.keys.category(wabaId, template.name, template.language);
    this.local?.delete(key);
    await this.options.redis.del(key);
  }

  private remember(key: string, entry: Entry): void {
    if (!this.local) return;
    this.local.set(key, { ...entry, exp: Math.min(entry.exp, Date.now() + this.options.localTtlMs) });
  }
}

function parseEntry(raw: string): Entry | undefined {
  try {
    const entry = JSON.parse(raw) as Partial<Entry>;
    if (entry.c === 'marketing' || entry.c === 'non_marketing') {
      return { c: entry.c, src: entry.src ?? 'learned', exp: entry.exp ?? Date.now() };
    }
  } catch {
    // A value we did not write: treat the cache as unreadable for this key.
  }
  return undefined;
}
