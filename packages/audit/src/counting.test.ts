import { describe, expect, it } from 'vitest';
import { bucketStart, field, hourStart, hoursBetween, isFallback, parseField } from './buckets.ts';
import { costOf, sendMetrics, statusCounts } from './status-counts.ts';

const at = Date.parse('2026-03-04T05:06:07.890Z');

describe('hour and day buckets', () => {
  it('start at the UTC hour and day', () => {
    expect(new Date(hourStart(at)).toISOString()).toBe('2026-03-04T05:00:00.000Z');
    expect(new Date(bucketStart(at, 'day')).toISOString()).toBe('2026-03-04T00:00:00.000Z');
    expect(bucketStart(at, 'hour')).toBe(hourStart(at));
  });

  it('cover every hour overlapping [from, to), and none past to', () => {
    const hours = hoursBetween(Date.parse('2026-03-04T05:30:00Z'), Date.parse('2026-03-04T08:00:00Z'));
    expect(hours.map((h) => new Date(h).toISOString())).toEqual(['2026-03-04T05:00:00.000Z', '2026-03-04T06:00:00.000Z', '2026-03-04T07:00:00.000Z']);
    expect(hoursBetween(Date.parse('2026-03-04T05:00:00Z'), Date.parse('2026-03-04T05:00:00.001Z'))).toHaveLength(1);
  });
});

describe('fields', () => {
  it('round-trip route, template and metric; a template-less send is (none)', () => {
    expect(parseField(field('cloud_api', 'promo:en_US', 'fb:checked_fallback'))).toEqual({ route: 'cloud_api', template: 'promo:en_US', metric: 'fb:checked_fallback' });
    expect(parseField(field('marketing_messages', undefined, 'sends'))).toEqual({ route: 'marketing_messages', template: '(none)', metric: 'sends' });
  });

  it('ignore what this version does not know', () => {
    expect(parseField('sms|x|sends')).toBeUndefined();
    expect(parseField('cloud_api|sends')).toBeUndefined();
  });
});

describe('what a send counts', () => {
  it('counts a send, and a fallback by its reason only for Cloud sends standing in for MM', () => {
    expect(sendMetrics({ route: 'marketing_messages', reason: 'checked_accepted' })).toEqual(['sends']);
    expect(sendMetrics({ route: 'cloud_api', reason: 'checked_fallback', mmErrorCode: 134100 })).toEqual(['sends', 'fb:checked_fallback']);
    expect(sendMetrics({ route: 'cloud_api', reason: 'mm_circuit_open' })).toEqual(['sends', 'fb:mm_circuit_open']);
    expect(sendMetrics({ route: 'cloud_api', reason: 'cached_non_marketing' })).toEqual(['sends']);
    expect(sendMetrics({ route: 'cloud_api', reason: 'not_template' })).toEqual(['sends']);
    expect(isFallback('marketing_messages', 'checked_fallback')).toBe(false);
  });
});

describe('what a status counts', () => {
  it('counts delivered, read and failed once each by flag; read implies delivered', () => {
    expect(statusCounts('delivered')).toEqual([{ flag: 'c:delivered', metric: 'delivered' }]);
    expect(statusCounts('read')).toEqual([
      { flag: 'c:delivered', metric: 'delivered' },
      { flag: 'c:read', metric: 'read' },
    ]);
    expect(statusCounts('failed')).toEqual([{ flag: 'c:failed', metric: 'failed' }]);
    expect(statusCounts('sent')).toEqual([]);
    expect(statusCounts('played')).toEqual([]);
  });

  it("reads pricing.cost as Meta's {amount, currency} or a plain number", () => {
    expect(costOf({ category: 'marketing_lite', cost: { amount: 0.0123, currency: 'USD' } })).toBe(0.0123);
    expect(costOf({ cost: '0.5' })).toBe(0.5);
    expect(costOf({ cost: { amount: 'x' } })).toBeUndefined();
    expect(costOf({ category: 'marketing' })).toBeUndefined();
    expect(costOf(undefined)).toBeUndefined();
  });
});
