import type { AuditEntry, AuditOwner, LedgerLine, SendAuditEvent } from './audit-store.ts';

export type { LedgerLine } from './audit-store.ts';

const tenths = (ms: number) => Math.round(ms * 10) / 10;

export function ledgerLine(event: SendAuditEvent): string {
  const line: LedgerLine = {
    stackId: event.stackId,
    ...(event.tenant !== event.stackId ? { tenant: event.tenant } : {}),
    route: event.route,
    reason: event.reason,
    at: event.at,
    ...(event.mmErrorCode !== undefined ? { mmErrorCode: event.mmErrorCode } : {}),
    calls: event.calls.map((c) => (c.errorCode === undefined ? [c.endpoint, c.status, tenths(c.durationMs)] : [c.endpoint, c.status, tenths(c.durationMs), c.errorCode])),
    ...(event.idempotencyKey !== undefined ? { idempotencyKey: event.idempotencyKey } : {}),
    ...(event.template !== undefined ? { template: event.template } : {}),
  };
  return JSON.stringify(line);
}

export function parseLedgerLine(raw: string | null | undefined): LedgerLine | undefined {
  if (!raw) return undefined;
  try {
    const line = JSON.parse(raw) as LedgerLine;
    return line &&
      typeof line.stackId === 'string' &&
      typeof line.route === 'string' &&
      typeof line.at === 'number' &&
      (line.tenant === undefined || typeof line.tenant === 'string')
      ? line
      : undefined;
  } catch {
    return undefined;
  }
}

/** The tenant a line belongs to (see LedgerLine.tenant). */
export const tenantOfLine = (line: Pick<LedgerLine, 'stackId' | 'tenant'>): string => line.tenant ?? line.stackId;

/** Whether the message of this line is the owner's: same stack id and same tenant (a re-created stack id is another tenant). */
export const lineOwnedBy = (line: Pick<LedgerLine, 'stackId' | 'tenant'>, owner: AuditOwner): boolean => line.stackId === owner.stackId && tenantOfLine(line) === owner.tenant;

/** Timeline entries of a message: `s:<status>` (each status once) and `k:<click id>`; no spaces (the entry's separator). */
export const statusField = (status: string) => `s:${status.replace(/\s/g, '_')}`;
export const clickField = (clickId: string) => `k:${clickId.replace(/\s/g, '_')}`;

export interface StoredStatus {
  timestamp?: string;
  receivedAt: number;
  errors?: unknown[];
  pricing?: Record<string, unknown>;
}

export interface StoredClick {
  receivedAt: number;
  clickId?: string;
  data: Record<string, unknown>;
}

/**
 * The `GET /messages/{wamid}` answer from the ledger line and the message's timeline
 * (entries `<field> <json>` in the order received, and count-once flags, skipped here).
 */
export function auditEntryOf(wamid: string, line: LedgerLine, timeline: string[]): AuditEntry {
  const statuses: AuditEntry['statuses'] = [];
  const clicks: AuditEntry['clicks'] = [];
  for (const item of timeline) {
    const space = item.indexOf(' ');
    if (space < 0) continue;
    const name = item.slice(0, space);
    let value: unknown;
    try {
      value = JSON.parse(item.slice(space + 1));
    } catch {
      continue;
    }
    if (name.startsWith('s:')) {
      const s = value as StoredStatus;
      const status = name.slice(2);
      statuses.push({
        status,
        ...(s.timestamp !== undefined ? { timestamp: s.timestamp } : {}),
        receivedAt: new Date(s.receivedAt).toISOString(),
        ...(s.errors ? { errors: s.errors } : {}),
        ...(s.pricing ? { pricing: s.pricing } : {}),
      });
    } else if (name.startsWith('k:')) {
      const c = value as StoredClick;
      clicks.push({ receivedAt: new Date(c.receivedAt).toISOString(), ...(c.clickId ? { clickId: c.clickId } : {}), data: c.data });
    }
  }
  return {
    wamid,
    stackId: line.stackId,
    route: line.route,
    reason: line.reason,
    ...(line.mmErrorCode !== undefined ? { mmErrorCode: line.mmErrorCode } : {}),
    calls: (line.calls ?? []).map(([endpoint, status, durationMs, errorCode]) => ({ endpoint, status, durationMs, ...(errorCode !== undefined ? { errorCode } : {}) })),
    ...(line.idempotencyKey !== undefined ? { idempotencyKey: line.idempotencyKey } : {}),
    ...(line.template !== undefined ? { template: line.template } : {}),
    sentAt: new Date(line.at).toISOString(),
    statuses,
    clicks,
  };
}
