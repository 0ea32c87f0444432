import { ROUTE_REASONS } from '@gw/contracts';
import type { RouteAnalyticsRow } from './audit-store.ts';

/** Fallback columns in ROUTE_REASONS order, so the header never depends on the data. */
const FALLBACK_COLUMNS = ROUTE_REASONS.map((reason) => `fallback_${reason}`);

const HEADER = [
  'bucket',
  'route',
  'template',
  'sends',
  ...FALLBACK_COLUMNS,
  'delivered',
  'read',
  'failed',
  'clicked',
  'delivered_rate',
  'read_rate',
  'failed_rate',
  'click_rate',
  'cost',
];

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The `Accept: text/csv` answer of `GET /analytics/routes`: a header, then one line per row, CRLF line ends. */
export function analyticsCsv(rows: RouteAnalyticsRow[]): string {
  const lines = [HEADER.join(',')];
  for (const row of rows) {
    const values: Array<string | number | null> = [
      row.bucket,
      row.route,
      row.template,
      row.sends,
      ...ROUTE_REASONS.map((reason) => row.fallbacks[reason] ?? 0),
      row.delivered,
      row.read,
      row.failed,
      row.clicked,
      row.deliveredRate,
      row.readRate,
      row.failedRate,
      row.clickRate,
      row.cost,
    ];
    lines.push(values.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
