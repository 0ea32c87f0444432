import { describe, expect, it } from 'vitest';
import { renderDashboard } from './dashboard-view.ts';

describe('the dashboard page', () => {
  it('escapes every value that comes from a client or from Meta', () => {
    const evil = '<script>alert(1)</script>"';
    const html = renderDashboard({
      stackIds: [evil],
      stackId: evil,
      window: { from: 0, to: 3_600_000, granularity: 'hour', hours: 1 },
      figures: {
        share: [{ bucket: evil, mm: 1, cloud: 0 }],
        fallbacks: [],
        templates: [
          {
            template: evil,
            mm: { sends: 1, delivered: 0, read: 0, clicked: 0, failed: 0, deliveredRate: 0, readRate: 0, clickRate: 0, cost: null },
            cloud: { sends: 0, delivered: 0, read: 0, clicked: 0, failed: 0, deliveredRate: 0, readRate: 0, clickRate: 0, cost: null },
          },
        ],
        totals: { mm: 1, cloud: 0 },
      },
      categories: [{ name: evil, language: 'en', category: 'marketing', source: 'learned', expiresAt: evil }],
      search: { wamid: evil, entry: undefined },
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
  });
});
