import type { Route, RouteReason } from '@gw/contracts';
import type { AuditEntry, MetaCall, SendAuditEvent } from './audit-store.ts';

/**
 * The send ledger line (`ledger:{wamid}`), which is the message's audit entry: the worker
 * writes it once per send in the pipeline it already runs, so auditing adds no Redis command
 * to a send. The webhook enrichment reads `stackId` and `route` from it. Calls are tuples
 * `[endpoint, status, ms, errorCode?]` to keep the line small (it lives for the retention).
 */
export interface LedgerLine {
  stackId: string;
  /** The stack's permanent uid: a stack re-created with the same id does not see this message. */
  stackUid?: string;
  route: Route;
  reason: RouteReason;
  /** Epoch ms the send finished. */
  at: number;
  mmErrorCode?: number;
  calls?: Array<[MetaCall['endpoint'], number, number, number?]>;
  idempotencyKey?: string;
  template?: string;
}

const tenths = (ms: number) => Math.round(ms * 10) / 10;

export function ledgerLine(event: SendAuditEvent, stackUid?: string): string {
  const line: LedgerLine = {
    stackId: event.stackId,
    ...(stackUid ? { stackUid } : {}),
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
    return line && typeof line.stackId === 'string' && typeof line.route === 'string' && typeof line.at === 'number' ? line : undefined;
  } catch {
    return undefined;
  }
}

/** Timeline fields of the message's audit hash: `s:<status>` (each status once) and `k:<click id>`. */
export const statusField = (status: string) => `s:${status}`;
export const clickField = (clickId: string) => `k:${clickId}`;

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

/** Meta's order of a message's life: breaks ties between statuses received in one webhook. */
const RANK: Record<string, number> = { sent: 0, delivered: 1, read: 2, played: 3, failed: 4 };

/** The `GET /messages/{wamid}` answer from the ledger line and the message's audit hash. */
export function auditEntryOf(wamid: string, line: LedgerLine, timeline: Record<string, string>): AuditEntry {
  const statuses: Array<AuditEntry['statuses'][number] & { rank: number; ms: number }> = [];
  const clicks: Array<AuditEntry['clicks'][number] & { ms: number }> = [];
  for (const [name, raw] of Object.entries(timeline)) {
    let value: unknown;
    try {
      value = JSON.parse(raw);
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
        rank: RANK[status] ?? 5,
        ms: s.receivedAt,
      });
    } else if (name.startsWith('k:')) {
      const c = value as StoredClick;
      clicks.push({ receivedAt: new Date(c.receivedAt).toISOString(), ...(c.clickId ? { clickId: c.clickId } : {}), data: c.data, ms: c.receivedAt });
    }
  }
  statuses.sort((a, b) => a.ms - b.ms || a.rank - b.rank);
  clicks.sort((a, b) => a.ms - b.ms);
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
    statuses: statuses.map(({ rank: _rank, ms: _ms, ...s }) => s),
    clicks: clicks.map(({ ms: _ms, ...c }) => c),
  };
}
