import type { Route, RouteReason } from '@gw/contracts';

/**
 * The send ledger line (`ledger:{wamid}`), which is the message's audit entry: the worker
 * writes it once per send in the pipeline it already runs, so auditing adds no Redis command
 * to a send. The webhook enrichment reads `stackId` and `route` from it. Calls are tuples
 * `[endpoint, status, ms, errorCode?]` to keep the line small (it lives for the retention).
 */
export interface LedgerLine {
  stackId: string;
  /**
   * The sending stack's tenant (its permanent uid), written when it differs from `stackId`. A line
   * without one belongs to the tenant `stackId`: a stack without a uid (STACKS_FILE without a stack
   * store), and no stored stack (lines written before tenants were recorded are refused to them).
   */
  tenant?: string;
  route: Route;
  reason: RouteReason;
  /** Epoch ms the send finished. */
  at: number;
  mmErrorCode?: number;
  calls?: Array<[MetaCall['endpoint'], number, number, number?]>;
  idempotencyKey?: string;
  template?: string;
}

/** Send ledger lines by wamid as read by a caller; null: read, and there was none. */
export type KnownLedger = ReadonlyMap<string, LedgerLine | null>;

/** One call the worker made to Meta for a send. */
export interface MetaCall {
  endpoint: 'marketing_messages' | 'messages' | 'messages_encrypted';
  status: number;
  durationMs: number;
  /** Meta's error code when the call failed. */
  errorCode?: number;
}

/**
 * Whose audit data this is: the stack's id and its tenant (`tenantOf(stack)`: the permanent uid of a
 * stored stack, else its id). Entries and analytics are kept and read by tenant, so a stack deleted and
 * created again under the same id sees nothing of the old one's.
 */
export interface AuditOwner {
  stackId: string;
  tenant: string;
}

/** A finished send, written once by the worker. */
export interface SendAuditEvent {
  kind: 'send';
  stackId: string;
  /** The sending stack's tenant (see AuditOwner). */
  tenant: string;
  wamid: string;
  /** Epoch ms when the send finished. */
  at: number;
  route: Route;
  reason: RouteReason;
  /** Meta error code of the MM attempt that led to a fallback, if any. */
  mmErrorCode?: number;
  calls: MetaCall[];
  idempotencyKey?: string;
  /** `name:language` of a template send; absent for other messages. */
  template?: string;
}

/** One status from Meta's webhook; repeats and reorderings are expected. */
export interface StatusAuditEvent {
  kind: 'status';
  stackId: string;
  /** The tenant of the stack the webhook was split for. */
  tenant: string;
  wamid: string;
  /** Epoch ms when the gateway received it. */
  at: number;
  /** sent, delivered, read, failed, played, ... as Meta names it. */
  status: string;
  /** Meta's own `timestamp` (epoch seconds as a string). */
  timestamp?: string;
  errors?: unknown[];
  /** Meta's `pricing` object as given (category, type, pricing_model, cost, ...). */
  pricing?: Record<string, unknown>;
}

/** A tracked-link click (MM only). It carries no wamid in Meta's documented payload. */
export interface ClickAuditEvent {
  kind: 'click';
  stackId: string;
  /** The tenant of the stack the webhook was split for. */
  tenant: string;
  at: number;
  /** Set when the click can be tied to a message. */
  wamid?: string;
  clickId?: string;
  /** The click's data as Meta gave it. */
  data: Record<string, unknown>;
}

export type AuditEvent = SendAuditEvent | StatusAuditEvent | ClickAuditEvent;

/** What `GET /messages/{wamid}` answers. */
export interface AuditEntry {
  wamid: string;
  stackId: string;
  route: Route;
  reason: RouteReason;
  mmErrorCode?: number;
  calls: MetaCall[];
  idempotencyKey?: string;
  template?: string;
  /** ISO time the send finished. */
  sentAt: string;
  /** Statuses in the order received, each once (a repeat of the same status is not added). */
  statuses: Array<{ status: string; timestamp?: string; receivedAt: string; errors?: unknown[]; pricing?: Record<string, unknown> }>;
  clicks: Array<{ receivedAt: string; clickId?: string; data: Record<string, unknown> }>;
}

export type Granularity = 'hour' | 'day';

export interface RouteAnalyticsQuery {
  stackId: string;
  /** Only sends of this tenant (see AuditOwner) are counted. */
  tenant: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  /** `name` or `name:language`; absent: every template (and non-template sends). */
  template?: string;
  granularity: Granularity;
}

/** One (time bucket, route, template) row of `GET /analytics/routes`. */
export interface RouteAnalyticsRow {
  /** ISO start of the bucket. */
  bucket: string;
  route: Route;
  /** `name:language`, or `(none)` for non-template sends. */
  template: string;
  sends: number;
  /** Cloud sends that were MM fallbacks, by route reason. */
  fallbacks: Partial<Record<RouteReason, number>>;
  delivered: number;
  read: number;
  failed: number;
  clicked: number;
  /** delivered / sends, read / sends, failed / sends, clicked / sends (0 when sends is 0). */
  deliveredRate: number;
  readRate: number;
  failedRate: number;
  clickRate: number;
  /** Sum of `pricing.cost` where Meta gave one; null when it never did. */
  cost: number | null;
}

/**
 * Where audit events go and where the audit and analytics routes read them.
 * The Redis store is the default; the PostgreSQL sink (AUDIT_DATABASE_URL) implements the same.
 * Writers never wait on it in a send's path: record() is called off the hot path.
 */
export interface AuditStore {
  /**
   * `known`: the send ledger lines of the events' wamids the caller has already read (the inbound
   * webhook worker reads them for its enrichment), null for a wamid read and not found; a store that
   * needs them reads only the wamids missing from it.
   */
  record(events: AuditEvent[], known?: KnownLedger): Promise<void>;
  /** The entry of a wamid of this stack and tenant; undefined for another stack's or tenant's, or an unknown wamid. */
  entry(owner: AuditOwner, wamid: string): Promise<AuditEntry | undefined>;
  routes(query: RouteAnalyticsQuery): Promise<RouteAnalyticsRow[]>;
  close(): Promise<void>;
}
