import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { RedisKeys, TemplateRef } from '@gw/contracts';
import type { CachedCategory } from '@gw/routing';

/** `syncing`: the MM API said the template is still syncing; kept only briefly. */
export type Category = 'marketing' | 'non_marketing' | 'syncing';
/** `api`: a template created or edited through the gateway's Graph pass-through. */
export type CategorySource = 'learned' | 'sync' | 'webhook' | 'api';

interface Entry {
  c: Category;
  src: CategorySource;
  /** Expiry, epoch ms: the in-process copy never outlives the Redis entry. */
  exp: number;
}

export interface CategoryListing {
  name: string;
  language: string;
  category: Category;
  source: CategorySource;
  expiresAt: string;
}

/** One read of the cache, for observers (hit and miss metrics). */
export interface CategoryLookup {
  result: 'hit' | 'miss' | 'error';
  /** Where a hit's knowledge came from. */
  source?: CategorySource;
  tier: 'local' | 'redis';
}

export interface CategoryCacheOptions {
  redis: Redis;
  keys: RedisKeys;
  ttlSeconds: number;
  localTtlMs: number;
  /** Told about every read; must not throw. */
  onLookup?: (lookup: CategoryLookup) => void;
}

/** Meta's category names to the two the router cares about. */
export function categoryFromMeta(metaCategory: string): 'marketing' | 'non_marketing' {
  return metaCategory.toUpperCase() === 'MARKETING' ? 'marketing' : 'non_marketing';
}

/**
 * Template categories keyed by (WABA, template, language), in Redis with a TTL
 * and, for hot templates, in process for a short while. Also remembers WABAs
 * whose MM access Meta refused (134102), with the same local shortcut.
 */
export class CategoryCache {
  private readonly local: LRUCache<string, Entry> | undefined;
  private readonly localWaba: LRUCache<string, { off: boolean; exp: number }> | undefined;
  private readonly localCloudOff: LRUCache<string, { off: boolean; exp: number }> | undefined;

  constructor(private readonly options: CategoryCacheOptions) {
    this.local = options.localTtlMs > 0 ? new LRUCache({ max: 10_000 }) : undefined;
    this.localWaba = options.localTtlMs > 0 ? new LRUCache({ max: 10_000 }) : undefined;
    this.localCloudOff = options.localTtlMs > 0 ? new LRUCache({ max: 10_000 }) : undefined;
  }

  async read(wabaId: string, template: TemplateRef): Promise<CachedCategory> {
    const key = this.options.keys.category(wabaId, template.name, template.language);
    const observe = this.options.onLookup;
    const hit = this.local?.get(key);
    if (hit && hit.exp > Date.now()) {
      observe?.({ result: 'hit', source: hit.src, tier: 'local' });
      return hit.c;
    }
    let raw: string | null;
    try {
      raw = await this.options.redis.get(key);
    } catch {
      observe?.({ result: 'error', tier: 'redis' });
      return 'unavailable';
    }
    if (raw === null) {
      observe?.({ result: 'miss', tier: 'redis' });
      return 'unknown';
    }
    const entry = parseEntry(raw);
    if (!entry) {
      observe?.({ result: 'error', tier: 'redis' });
      return 'unavailable';
    }
    observe?.({ result: 'hit', source: entry.src, tier: 'redis' });
    this.remember(key, entry);
    return entry.c;
  }

  async write(wabaId: string, template: TemplateRef, category: Category, source: CategorySource, ttlSeconds = this.options.ttlSeconds): Promise<void> {
    const key = this.options.keys.category(wabaId, template.name, template.language);
    const entry: Entry = { c: category, src: source, exp: Date.now() + ttlSeconds * 1000 };
    this.remember(key, entry);
    await this.options.redis.set(key, JSON.stringify(entry), 'EX', ttlSeconds);
  }

  /** Many entries in one round trip (warm-up and periodic sync). */
  async writeMany(wabaId: string, entries: Array<{ template: TemplateRef; category: Category }>, source: CategorySource) {
    const ttl = this.options.ttlSeconds;
    const pipeline = this.options.redis.pipeline();
    for (const { template, category } of entries) {
      const key = this.options.keys.category(wabaId, template.name, template.language);
      const entry: Entry = { c: category, src: source, exp: Date.now() + ttl * 1000 };
      this.remember(key, entry);
      pipeline.set(key, JSON.stringify(entry), 'EX', ttl);
    }
    await pipeline.exec();
  }

  async evict(wabaId: string, template: TemplateRef): Promise<boolean> {
    const key = this.options.keys.category(wabaId, template.name, template.language);
    this.local?.delete(key);
    return (await this.options.redis.del(key)) > 0;
  }

  /** Everything the cache knows for one WABA, for operators and clients. */
  async list(wabaId: string): Promise<CategoryListing[]> {
    const prefixLength = this.options.keys.categoryPattern(wabaId).length - 1;
    const keys: string[] = [];
    // SCAN reads one node: on a Redis Cluster, read every master.
    const cluster = this.options.redis as unknown as Partial<Cluster>;
    const nodes = typeof cluster.nodes === 'function' ? cluster.nodes('master') : [this.options.redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', this.options.keys.categoryPattern(wabaId), 'COUNT', 500);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
    }
    if (keys.length === 0) return [];
    const values = await this.options.redis.mget(keys);
    const listing: CategoryListing[] = [];
    keys.forEach((key, i) => {
      const value = values[i];
      const entry = value ? parseEntry(value) : undefined;
      if (!entry) return;
      const rest = key.slice(prefixLength);
      const separator = rest.indexOf(':');
      listing.push({
        language: rest.slice(0, separator),
        name: rest.slice(separator + 1),
        category: entry.c,
        source: entry.src,
        expiresAt: new Date(entry.exp).toISOString(),
      });
    });
    return listing.sort((a, b) => a.name.localeCompare(b.name) || a.language.localeCompare(b.language));
  }

  async markMmUnavailable(wabaId: string, seconds: number): Promise<void> {
    this.localWaba?.set(wabaId, { off: true, exp: Date.now() + Math.min(seconds * 1000, this.options.localTtlMs) });
    await this.options.redis.set(this.options.keys.mmUnavailable(wabaId), '1', 'EX', seconds);
  }

  /** An unreadable mark counts as "available": the MM attempt will tell. */
  async isMmUnavailable(wabaId: string): Promise<boolean> {
    const hit = this.localWaba?.get(wabaId);
    if (hit && hit.exp > Date.now()) return hit.off;
    try {
      const off = (await this.options.redis.exists(this.options.keys.mmUnavailable(wabaId))) === 1;
      this.localWaba?.set(wabaId, { off, exp: Date.now() + this.options.localTtlMs });
      return off;
    } catch {
      return false;
    }
  }

  /**
   * The WABA's `disable_marketing_messages_on_cloud_api`, learned from a 131063 or
   * read by the template sync (which also clears it when Meta says false).
   */
  async setCloudMarketingOff(wabaId: string, off: boolean, seconds = this.options.ttlSeconds): Promise<void> {
    this.localCloudOff?.set(wabaId, { off, exp: Date.now() + Math.min(seconds * 1000, this.options.localTtlMs) });
    const key = this.options.keys.cloudMarketingOff(wabaId);
    if (off) await this.options.redis.set(key, '1', 'EX', seconds);
    else await this.options.redis.del(key);
  }

  /** An unreadable flag counts as "on the Cloud API too": a fallback then lets Meta answer. */
  async isCloudMarketingOff(wabaId: string): Promise<boolean> {
    const hit = this.localCloudOff?.get(wabaId);
    if (hit && hit.exp > Date.now()) return hit.off;
    try {
      const off = (await this.options.redis.exists(this.options.keys.cloudMarketingOff(wabaId))) === 1;
      this.localCloudOff?.set(wabaId, { off, exp: Date.now() + this.options.localTtlMs });
      return off;
    } catch {
      return false;
    }
  }

  private remember(key: string, entry: Entry): void {
    if (!this.local) return;
    this.local.set(key, { ...entry, exp: Math.min(entry.exp, Date.now() + this.options.localTtlMs) });
  }
}

function parseEntry(raw: string): Entry | undefined {
  try {
    const entry = JSON.parse(raw) as Partial<Entry>;
    if (entry.c === 'marketing' || entry.c === 'non_marketing' || entry.c === 'syncing') {
      return { c: entry.c, src: entry.src ?? 'learned', exp: entry.exp ?? Date.now() };
    }
  } catch {
    // A value we did not write: treat the cache as unreadable for this key.
  }
  return undefined;
}
