import type { Pool } from 'pg';
import type { Route, RouteReason } from '@gw/contracts';
import type { AuditEntry, AuditOwner, MetaCall, RouteAnalyticsQuery } from '../audit-store.ts';
import type { ReasonGroup } from './route-rows.ts';
import { UNATTRIBUTED } from './analytics-rules.ts';

interface SendRow {
  wamid: string;
  stack_id: string;
  at: Date;
  route: Route;
  reason: RouteReason;
  mm_error_code: number | null;
  calls: MetaCall[];
  idempotency_key: string | null;
  template: string | null;
}

interface StatusRow {
  status: string;
  meta_timestamp: string | null;
  at: Date;
  errors: unknown[] | null;
  pricing: Record<string, unknown> | null;
}

interface ClickRow {
  at: Date;
  click_id: string | null;
  data: Record<string, unknown>;
}

/**
 * Rows of the owner's tenant: a row without one (written before the column existed) belongs to the
 * tenant `stack_id`, which only a stack without a uid has (see LedgerLine.tenant).
 */
const OF_TENANT = (alias = '') => `${alias}stack_id = $1 AND COALESCE(${alias}tenant, ${alias}stack_id) = $2`;

/** The audit entry of one wamid of one stack and tenant: its latest send, each status once (first received), its clicks. */
export async function queryEntry(pool: Pool, owner: AuditOwner, wamid: string): Promise<AuditEntry | undefined> {
  const params = [owner.stackId, owner.tenant, wamid];
  const sends = await pool.query<SendRow>(
    `SELECT wamid, stack_id, at, route, reason, mm_error_code, calls, idempotency_key, template FROM audit_sends WHERE ${OF_TENANT()} AND wamid = $3 ORDER BY at DESC, seq DESC LIMIT 1`,
    params,
  );
  const send = sends.rows[0];
  if (!send) return undefined;
  const [statuses, clicks] = await Promise.all([
    pool.query<StatusRow>(
      `SELECT status, meta_timestamp, at, errors, pricing FROM (
         SELECT DISTINCT ON (status) status, meta_timestamp, at, seq, errors, pricing FROM audit_statuses
         WHERE ${OF_TENANT()} AND wamid = $3 ORDER BY status, at, seq
       ) firsts ORDER BY at, seq`,
      params,
    ),
    pool.query<ClickRow>(`SELECT at, click_id, data FROM audit_clicks WHERE ${OF_TENANT()} AND wamid = $3 ORDER BY at, seq`, params),
  ]);
  return {
    wamid: send.wamid,
    stackId: send.stack_id,
    route: send.route,
    reason: send.reason,
    ...(send.mm_error_code === null ? {} : { mmErrorCode: send.mm_error_code }),
    calls: send.calls,
    ...(send.idempotency_key === null ? {} : { idempotencyKey: send.idempotency_key }),
    ...(send.template === null ? {} : { template: send.template }),
    sentAt: send.at.toISOString(),
    statuses: statuses.rows.map((row) => ({
      status: row.status,
      ...(row.meta_timestamp === null ? {} : { timestamp: row.meta_timestamp }),
      receivedAt: row.at.toISOString(),
      ...(row.errors === null ? {} : { errors: row.errors }),
      ...(row.pricing === null ? {} : { pricing: row.pricing }),
    })),
    clicks: clicks.rows.map((row) => ({ receivedAt: row.at.toISOString(), ...(row.click_id === null ? {} : { clickId: row.click_id }), data: row.data })),
  };
}

interface GroupRow {
  bucket: Date;
  route: Route;
  template: string | null;
  reason: RouteReason | null;
  has_mm_error: boolean;
  sends: string;
  delivered: string;
  read: string;
  failed: string;
  clicked: string;
  cost: string | null;
}

/**
 * Counts the tenant's messages sent in [from, to) (every template: the caller filters) by bucket (of the send), route, template, reason and whether MM
 * failed first. Each message counts once per outcome however often Meta repeated or reordered its
 * statuses: statuses are folded per wamid first (`read` implies `delivered`; the cost is the first
 * one given). Statuses and clicks may arrive days after the send, so they are read from `from` on.
 * Clicks tied to no message of the stack count on the MM row `(unattributed)` of the hour they
 * arrived, once per click id, as the Redis store counts them.
 */
export async function queryReasonGroups(pool: Pool, query: RouteAnalyticsQuery): Promise<ReasonGroup[]> {
  const { rows } = await pool.query<GroupRow>(
    `WITH sends AS (
       SELECT DISTINCT ON (wamid) wamid, at, route, reason, template, mm_error_code FROM audit_sends
       WHERE ${OF_TENANT()} AND at >= $3 AND at < $4
       ORDER BY wamid, at DESC, seq DESC
     ), outcomes AS (
       SELECT wamid,
              bool_or(status IN ('delivered', 'read')) AS delivered,
              bool_or(status = 'read') AS read,
              bool_or(status = 'failed') AS failed,
              (array_agg(cost ORDER BY at, seq) FILTER (WHERE cost IS NOT NULL))[1] AS cost
       FROM audit_statuses WHERE ${OF_TENANT()} AND at >= $3 AND wamid IN (SELECT wamid FROM sends) GROUP BY wamid
     ), clicks AS (
       SELECT DISTINCT wamid FROM audit_clicks WHERE ${OF_TENANT()} AND at >= $3 AND wamid IN (SELECT wamid FROM sends)
     )
     SELECT date_trunc($5, s.at, 'UTC') AS bucket, s.route, s.template, s.reason, s.mm_error_code IS NOT NULL AS has_mm_error,
            count(*) AS sends,
            count(*) FILTER (WHERE o.delivered) AS delivered,
            count(*) FILTER (WHERE o.read) AS read,
            count(*) FILTER (WHERE o.failed) AS failed,
            count(c.wamid) AS clicked,
            sum(o.cost) AS cost
     FROM sends s LEFT JOIN outcomes o ON o.wamid = s.wamid LEFT JOIN clicks c ON c.wamid = s.wamid
     GROUP BY 1, 2, 3, 4, 5
     UNION ALL
     SELECT date_trunc($5, k.at, 'UTC'), 'marketing_messages', $6, NULL, false, 0, 0, 0, 0,
            count(DISTINCT k.click_id) + count(*) FILTER (WHERE k.click_id IS NULL), NULL
     FROM audit_clicks k
     WHERE ${OF_TENANT('k.')} AND k.at >= $3 AND k.at < $4
       AND (k.wamid IS NULL OR NOT EXISTS (SELECT 1 FROM audit_sends x WHERE ${OF_TENANT('x.')} AND x.wamid = k.wamid))
     GROUP BY 1`,
    [query.stackId, query.tenant, new Date(query.from), new Date(query.to), query.granularity, UNATTRIBUTED],
  );
  return rows.map((row) => ({
    bucket: row.bucket,
    route: row.route,
    template: row.template,
    reason: row.reason,
    hasMmError: row.has_mm_error,
    sends: Number(row.sends),
    delivered: Number(row.delivered),
    read: Number(row.read),
    failed: Number(row.failed),
    clicked: Number(row.clicked),
    cost: row.cost === null ? null : Number(row.cost),
  }));
}
