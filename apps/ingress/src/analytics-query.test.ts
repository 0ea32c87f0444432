import { describe, expect, it } from 'vitest';
import { parseAnalyticsQuery } from './analytics-query.ts';

const owner = { stackId: 's1', tenant: 'uid-1' };

const now = Date.parse('2026-03-04T12:00:00Z');

describe('GET /analytics/routes parameters', () => {
  it('default to the last 24 hours by hour', () => {
    expect(parseAnalyticsQuery(owner, {}, now)).toEqual({ stackId: 's1', tenant: 'uid-1', from: now - 86_400_000, to: now, granularity: 'hour' });
  });

  it('take ISO 8601 or epoch ms, a template and day granularity', () => {
    expect(parseAnalyticsQuery(owner, { from: '2026-03-01T00:00:00Z', to: String(now), template: 'promo:en_US', granularity: 'day' }, now)).toEqual({
      stackId: 's1',
      tenant: 'uid-1',
      from: Date.parse('2026-03-01T00:00:00Z'),
      to: now,
      granularity: 'day',
      template: 'promo:en_US',
    });
  });

  it('name what is wrong', () => {
    expect(parseAnalyticsQuery(owner, { granularity: 'week' }, now)).toBe('granularity must be hour or day.');
    expect(parseAnalyticsQuery(owner, { from: 'yesterday' }, now)).toMatch(/^from must be an ISO 8601 time/);
    expect(parseAnalyticsQuery(owner, { from: String(now), to: String(now) }, now)).toBe('from must be before to.');
    expect(parseAnalyticsQuery(owner, { from: '2025-01-01T00:00:00Z' }, now)).toMatch(/at most 93 days/);
    expect(parseAnalyticsQuery(owner, { template: 'a|b' }, now)).toMatch(/^template must be/);
    expect(parseAnalyticsQuery(owner, { template: ['a', 'b|c'] }, now)).toMatch(/^template must be/);
  });
});
