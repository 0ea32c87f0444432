import type { Stack } from '@gw/config';
import { normaliseLanguage, type TemplateRef, type TemplateSyncProgress, type TemplateSyncSummary } from '@gw/contracts';
import { categoryFromMeta, type CategoryCache, type TemplateOwners } from '@gw/category-cache';
import type { MetaClient, TemplatePage } from '@gw/meta-client';
import pRetry, { AbortError } from 'p-retry';

export interface TemplateSyncDeps {
  meta: MetaClient;
  categories: CategoryCache;
  /** Remembers each template id's WABA for the ingress's Graph pass-through (its tenancy check). */
  owners?: Pick<TemplateOwners, 'remember'>;
  pageSize: number;
  /** Tries per page for outages and throttling; 4xx answers fail at once. */
  pageAttempts?: number;
}

export class TemplateSyncError extends Error {
  override name = 'TemplateSyncError';
}

const refKey = (t: TemplateRef) => `${t.name}\u0000${normaliseLanguage(t.language)}`;

/** Pages through GET /{waba_id}/message_templates and caches every category it reads. */
export class TemplateSyncService {
  constructor(private readonly deps: TemplateSyncDeps) {}

  async sync(stack: Stack, only: TemplateRef[] | undefined, onProgress: (p: TemplateSyncProgress) => Promise<void> | void): Promise<TemplateSyncSummary> {
    const started = Date.now();
    const wanted = only ? new Map(only.map((t) => [refKey(t), t])) : undefined;
    const found = new Set<string>();
    const summary: TemplateSyncSummary = { marketing: 0, nonMarketing: 0, notFound: [], errors: [], pages: 0, durationMs: 0 };
    let after: string | undefined;
    let seen = 0;
    do {
      let page: TemplatePage;
      try {
        page = await pRetry(() => this.page(stack, after), { retries: (this.deps.pageAttempts ?? 4) - 1, minTimeout: 500, factor: 2 });
      } catch (error) {
        // Keep what the earlier pages taught; report the rest as an error.
        summary.errors.push(`page ${summary.pages + 1}: ${(error as Error).message}`);
        break;
      }
      summary.pages += 1;
      await this.deps.owners?.remember(stack.wabaId, page.data);
      const entries = [];
      for (const template of page.data) {
        seen += 1;
        if (!template.category || !template.name || !template.language) continue;
        const ref = { name: template.name, language: template.language };
        if (wanted && !wanted.has(refKey(ref))) continue;
        found.add(refKey(ref));
        const category = categoryFromMeta(template.category);
        if (category === 'marketing') summary.marketing += 1;
        else summary.nonMarketing += 1;
        entries.push({ template: ref, category });
      }
      if (entries.length) await this.deps.categories.writeMany(stack.wabaId, entries, 'sync');
      await onProgress({ pages: summary.pages, seen, written: summary.marketing + summary.nonMarketing });
      after = page.paging?.next ? page.paging.cursors?.after : undefined;
      // Stop early once every requested template is found.
      if (wanted && found.size === wanted.size) after = undefined;
    } while (after);
    if (wanted) summary.notFound = [...wanted.entries()].filter(([key]) => !found.has(key)).map(([, t]) => t);
    await this.syncWabaSetting(stack, summary);
    summary.durationMs = Date.now() - started;
    return summary;
  }

  /**
   * `disable_marketing_messages_on_cloud_api` (April 2026): while true, marketing
   * sends of the WABA do not fall back to the Cloud API. A failed read keeps what
   * was known (a 131063 may have taught it) and is reported with the other errors.
   */
  private async syncWabaSetting(stack: Stack, summary: TemplateSyncSummary): Promise<void> {
    const result = await this.deps.meta.wabaSettings(stack.wabaId, stack.accessToken);
    if (result.kind !== 'response' || result.status !== 200) {
      summary.errors.push(`waba settings: ${result.kind === 'response' ? `HTTP ${result.status}` : result.kind}`);
      return;
    }
    const off = (result.body as { disable_marketing_messages_on_cloud_api?: unknown } | null)?.disable_marketing_messages_on_cloud_api;
    if (typeof off !== 'boolean') return;
    summary.cloudMarketingOff = off;
    await this.deps.categories.setCloudMarketingOff(stack.wabaId, off);
  }

  private async page(stack: Stack, after: string | undefined): Promise<TemplatePage> {
    const result = await this.deps.meta.listTemplates(stack.wabaId, stack.accessToken, { after, limit: this.deps.pageSize });
    if (result.kind !== 'response') throw new TemplateSyncError(`message_templates: ${result.kind} (${result.error})`);
    if (result.status !== 200) {
      const message = (result.body as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${result.status}`;
      const error = new TemplateSyncError(`message_templates answered ${result.status}: ${message}`);
      throw result.status >= 500 || result.status === 429 ? error : new AbortError(error);
    }
    return result.body as TemplatePage;
  }
}
