import type { AuditEvent, ClickAuditEvent, SendAuditEvent, StatusAuditEvent } from '../audit-store.ts';
import type { AuditTable } from './schema.ts';
import { dayStart } from './schema.ts';
import { costOf } from './analytics-rules.ts';

/** Columns each COPY writes, in order (`seq` comes from its sequence). */
export const COPY_COLUMNS: Record<AuditTable, readonly string[]> = {
  audit_sends: ['stack_id', 'tenant', 'wamid', 'at', 'route', 'reason', 'mm_error_code', 'calls', 'idempotency_key', 'template'],
  audit_statuses: ['stack_id', 'tenant', 'wamid', 'at', 'status', 'meta_timestamp', 'errors', 'pricing', 'cost'],
  audit_clicks: ['stack_id', 'tenant', 'wamid', 'at', 'click_id', 'data'],
};

type Field = string | number | undefined | null;

/** One CSV field: unquoted empty is NULL, anything else is quoted with its quotes doubled. */
const csvField = (value: Field): string => (value === undefined || value === null ? '' : `"${String(value).replaceAll('"', '""')}"`);

const csvLine = (fields: Field[]): string => `${fields.map(csvField).join(',')}\n`;

const json = (value: unknown): string | undefined => (value === undefined ? undefined : JSON.stringify(value));

const iso = (at: number): string => new Date(at).toISOString();

const sendLine = (e: SendAuditEvent): string =>
  csvLine([e.stackId, e.tenant, e.wamid, iso(e.at), e.route, e.reason, e.mmErrorCode, JSON.stringify(e.calls), e.idempotencyKey, e.template]);

/** `cost` is parsed once here (number, string or `{amount}`) so the analytics sum a plain column. */
const statusLine = (e: StatusAuditEvent): string => csvLine([e.stackId, e.tenant, e.wamid, iso(e.at), e.status, e.timestamp, json(e.errors), json(e.pricing), costOf(e.pricing)]);

const clickLine = (e: ClickAuditEvent): string => csvLine([e.stackId, e.tenant, e.wamid, iso(e.at), e.clickId, JSON.stringify(e.data)]);

export interface CopyBatch {
  /** CSV text per table, only for tables with rows. */
  csv: Partial<Record<AuditTable, string>>;
  /** The UTC days the batch touches: their partitions must exist before the COPY. */
  days: Set<number>;
  rows: number;
}

/**
 * Turns a batch of events into the CSV bodies of one COPY per table. A status repeated inside the
 * batch is written once: the reads count each (wamid, status) once anyway, this only saves rows.
 */
export function toCopyBatch(events: readonly AuditEvent[]): CopyBatch {
  const parts: Record<AuditTable, string[]> = { audit_sends: [], audit_statuses: [], audit_clicks: [] };
  const days = new Set<number>();
  const seenStatuses = new Set<string>();
  let rows = 0;
  for (const event of events) {
    if (event.kind === 'status') {
      const key = `${event.stackId}\u0000${event.tenant}\u0000${event.wamid}\u0000${event.status}`;
      if (seenStatuses.has(key)) continue;
      seenStatuses.add(key);
      parts.audit_statuses.push(statusLine(event));
    } else if (event.kind === 'send') parts.audit_sends.push(sendLine(event));
    else parts.audit_clicks.push(clickLine(event));
    days.add(dayStart(event.at));
    rows += 1;
  }
  const csv: Partial<Record<AuditTable, string>> = {};
  for (const [table, lines] of Object.entries(parts) as Array<[AuditTable, string[]]>) if (lines.length > 0) csv[table] = lines.join('');
  return { csv, days, rows };
}
