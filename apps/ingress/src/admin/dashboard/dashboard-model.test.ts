import { describe, expect, it } from 'vitest';
import type { RouteAnalyticsRow } from '@gw/audit';
import { dashboardFigures, dashboardWindow, windowBuckets } from './dashboard-model.ts';

const row = (over: Partial<RouteAnalyticsRow>): RouteAnalyticsRow => ({
  bucket: '2026-12-02T10:00:00.000Z',
  route: 'marketing_messages',
  template: 'promo:en_US',
  sends: 0,
  fallbacks: {},
  delivered: 0,
  read: 0,
  failed: 0,
  clicked: 0,
  deliveredRate: 0,
  readRate: 0,
  failedRate: 0,
  clickRate: 0,
  cost: null,
  ...over,
});

describe('dashboard figures', () => {
  it('sums the API rows over the window: share per bucket, fallbacks by reason, MM against Cloud per template', () => {
    const figures = dashboardFigures(
      [
        row({ sends: 4, delivered: 3, read: 1, clicked: 2, cost: 0.5 }),
        row({ bucket: '2026-12-02T11:00:00.000Z', sends: 1, delivered: 1 }),
        row({ route: 'cloud_api', sends: 2, delivered: 2, fallbacks: { checked_fallback: 1, mm_circuit_open: 1 } }),
        row({ route: 'cloud_api', bucket: '2026-12-02T11:00:00.000Z', sends: 1, fallbacks: { checked_fallback: 1 } }),
      ],
      ['2026-12-02T09:00:00.000Z', '2026-12-02T10:00:00.000Z', '2026-12-02T11:00:00.000Z'],
    );
    expect(figures.share).toEqual([
      { bucket: '2026-12-02T09:00:00.000Z', mm: 0, cloud: 0 },
      { bucket: '2026-12-02T10:00:00.000Z', mm: 4, cloud: 2 },
      { bucket: '2026-12-02T11:00:00.000Z', mm: 1, cloud: 1 },
    ]);
    expect(figures.totals).toEqual({ mm: 5, cloud: 3 });
    expect(figures.fallbacks).toEqual([
      { reason: 'checked_fallback', count: 2 },
      { reason: 'mm_circuit_open', count: 1 },
    ]);
    expect(figures.templates[0]!.mm).toMatchObject({ sends: 5, delivered: 4, deliveredRate: 0.8, readRate: 0.2, clickRate: 0.4, cost: 0.5 });
    expect(figures.templates[0]!.cloud).toMatchObject({ sends: 3, delivered: 2, cost: null });
  });

  it('windows whole hours up to three days and whole days beyond, clamped', () => {
    const now = Date.UTC(2026, 11, 2, 10, 30);
    expect(dashboardWindow('24', now)).toEqual({ from: Date.UTC(2026, 11, 1, 11), to: Date.UTC(2026, 11, 2, 11), granularity: 'hour', hours: 24 });
    expect(windowBuckets(dashboardWindow('3', now))).toHaveLength(3);
    expect(dashboardWindow('240', now)).toMatchObject({ granularity: 'day', hours: 240, to: Date.UTC(2026, 11, 3) });
    expect(dashboardWindow('nope', now).hours).toBe(24);
    expect(dashboardWindow('999999', now).hours).toBe(24 * 90);
  });
});
