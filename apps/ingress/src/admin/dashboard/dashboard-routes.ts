import { Router } from 'express';
import type { AuditStore } from '@gw/audit';
import type { CategoryListing } from '@gw/category-cache';
import type { StackDirectory } from '@gw/config';
import type { Logger } from '@gw/logger';
import { ownerOf } from '../../audit-routes.ts';
import { requireAdmin } from '../admin-guard.ts';
import type { SessionStore } from '../admin-session.ts';
import { dashboardFigures, dashboardWindow, windowBuckets } from './dashboard-model.ts';
import { renderDashboard, type DashboardPage } from './dashboard-view.ts';

export const DASHBOARD_PATH = '/admin/dashboard';

export interface DashboardDeps {
  adminToken: string | undefined;
  sessions: SessionStore;
  /** The store the audit and analytics routes read: the page's figures are the API's. */
  audit: AuditStore | undefined;
  categories: { list(wabaId: string): Promise<CategoryListing[]> };
  directory: StackDirectory;
  logger: Logger;
}

const param = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/**
 * The operators' routing dashboard beside Bull Board, behind the same login: one server-rendered page
 * (no script) with route share, fallback reasons, MM against Cloud rates per template, the category
 * cache and the per-message audit search, for one stack at a time.
 */
export function dashboardRoutes(deps: DashboardDeps): Router {
  const router = Router();
  router.get(DASHBOARD_PATH, requireAdmin(deps.adminToken, { session: deps.sessions }), async (req, res) => {
    const stackIds = deps.directory
      .all()
      .map((stack) => stack.id)
      .sort();
    const wanted = param(req.query.stack);
    const stackId = wanted !== undefined && stackIds.includes(wanted) ? wanted : stackIds[0];
    const window = dashboardWindow(req.query.hours, Date.now());
    const page: DashboardPage = { stackIds, stackId, window, figures: undefined, categories: undefined };
    const stack = stackId === undefined ? undefined : deps.directory.get(stackId);
    if (stack) {
      const wamid = param(req.query.wamid)?.slice(0, 256);
      const [figures, categories, search] = await Promise.allSettled([
        deps.audit ? deps.audit.routes({ ...ownerOf(stack), from: window.from, to: window.to, granularity: window.granularity }) : Promise.reject(new Error('no audit store')),
        deps.categories.list(stack.wabaId),
        wamid !== undefined && deps.audit ? deps.audit.entry(ownerOf(stack), wamid) : Promise.resolve(undefined),
      ]);
      if (figures.status === 'fulfilled') page.figures = dashboardFigures(figures.value, windowBuckets(window));
      else page.figuresError = deps.audit ? 'The audit store is unavailable; the figures could not be read. Retry later.' : 'No audit store is configured on this gateway.';
      if (categories.status === 'fulfilled') page.categories = categories.value;
      else page.categoriesError = 'The category cache (Redis) is unavailable.';
      if (wamid !== undefined) {
        page.search =
          search.status === 'fulfilled' ? { wamid, entry: search.value } : { wamid, entry: undefined, error: 'The audit store is unavailable; the entry could not be read.' };
      }
      for (const failed of [figures, categories, search]) {
        if (failed.status === 'rejected' && deps.audit)
          deps.logger.warn({ err: failed.reason instanceof Error ? failed.reason.message : String(failed.reason) }, 'routing dashboard: a read failed');
      }
    }
    res
      .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
      .set('cache-control', 'no-store')
      .type('html')
      .send(renderDashboard(page));
  });
  return router;
}
