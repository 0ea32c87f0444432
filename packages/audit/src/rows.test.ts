import { describe, expect, it } from 'vitest';
import { analyticsCsv, csvField } from './csv.ts';
import { rowsOf, templateMatches, type HourBucket } from './rows.ts';

const h = (iso: string) => Date.parse(iso);

const buckets: HourBucket[] = [
  {
    hour: h('2026-03-04T05:00:00Z'),
    fields: {
      'marketing_messages|promo:en_US|sends': '4',
      'marketing_messages|promo:en_US|delivered': '3',
      'marketing_messages|promo:en_US|read': '1',
      'marketing_messages|promo:en_US|cost': '0.1',
      'cloud_api|promo:en_US|sends': '1',
      'cloud_api|promo:en_US|fb:mm_circuit_open': '1',
      'cloud_api|util:en_US|sends': '2',
      'cloud_api|util:en_US|fb:checked_fallback': '1',
      'cloud_api|util:en_US|failed': '1',
      'sms|junk|sends': '9',
    },
  },
  {
    hour: h('2026-03-04T06:00:00Z'),
    fields: { 'marketing_messages|promo:en_US|sends': '4', 'marketing_messages|promo:en_US|cost': '0.2', 'marketing_messages|(unattributed)|clicked': '2' },
  },
];

describe('rows of the route analytics', () => {
  it('one row per hour, route and template, with rates of its own sends', () => {
    const rows = rowsOf(buckets, { granularity: 'hour' });
    expect(rows.map((r) => [r.bucket, r.route, r.template])).toEqual([
      ['2026-03-04T05:00:00.000Z', 'cloud_api', 'promo:en_US'],
      ['2026-03-04T05:00:00.000Z', 'cloud_api', 'util:en_US'],
      ['2026-03-04T05:00:00.000Z', 'marketing_messages', 'promo:en_US'],
      ['2026-03-04T06:00:00.000Z', 'marketing_messages', '(unattributed)'],
      ['2026-03-04T06:00:00.000Z', 'marketing_messages', 'promo:en_US'],
    ]);
    expect(rows[2]).toMatchObject({ sends: 4, delivered: 3, read: 1, deliveredRate: 0.75, readRate: 0.25, failedRate: 0, cost: 0.1, fallbacks: {} });
    expect(rows[1]).toMatchObject({ sends: 2, failed: 1, failedRate: 0.5, fallbacks: { checked_fallback: 1 }, cost: null });
    expect(rows[0]!.fallbacks).toEqual({ mm_circuit_open: 1 });
    // Clicks with no message: counted, no sends to divide by.
    expect(rows[3]).toMatchObject({ clicked: 2, sends: 0, clickRate: 0 });
  });

  it('sums hours into days, costs without float noise', () => {
    const rows = rowsOf(buckets, { granularity: 'day', template: 'promo' });
    expect(rows.map((r) => [r.bucket, r.route, r.template, r.sends])).toEqual([
      ['2026-03-04T00:00:00.000Z', 'cloud_api', 'promo:en_US', 1],
      ['2026-03-04T00:00:00.000Z', 'marketing_messages', 'promo:en_US', 8],
    ]);
    expect(rows[1]!.cost).toBe(0.3);
    expect(rows[1]!.deliveredRate).toBe(0.375);
  });

  it('filters by name or name:language', () => {
    expect(templateMatches('promo:en_US', 'promo')).toBe(true);
    expect(templateMatches('promo:en_US', 'promo:en_US')).toBe(true);
    expect(templateMatches('promo:en_US', 'promo:pt_BR')).toBe(false);
    expect(templateMatches('promo_x:en_US', 'promo')).toBe(false);
    expect(templateMatches('(none)', undefined)).toBe(true);
    expect(templateMatches('(none)', '(none)')).toBe(true);
    expect(templateMatches('(unattributed)', 'promo')).toBe(false);
  });
});

describe('CSV', () => {
  it('quotes what needs quoting', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(null)).toBe('');
    expect(csvField(0.25)).toBe('0.25');
  });

  it('a fixed header and one CRLF line per row, fallbacks in columns', () => {
    const csv = analyticsCsv(rowsOf(buckets, { granularity: 'hour', template: 'util' }));
    const lines = csv.split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const header = lines[0]!.split(',');
    expect(header.slice(0, 4)).toEqual(['bucket', 'route', 'template', 'sends']);
    expect(header.at(-1)).toBe('cost');
    const row = Object.fromEntries(lines[1]!.split(',').map((v, i) => [header[i], v]));
    expect(row).toMatchObject({
      route: 'cloud_api',
      template: 'util:en_US',
      sends: '2',
      fallback_checked_fallback: '1',
      fallback_mm_timeout: '0',
      failed: '1',
      failed_rate: '0.5',
      cost: '',
    });
    expect(analyticsCsv([])).toBe(`${lines[0]}\r\n`);
  });
});
