/**
 * The PostgreSQL sink's schema: three tables partitioned by day on the time the gateway saw the event,
 * so retention is a cheap DROP of whole partitions instead of a DELETE that bloats the tables.
 */
export const AUDIT_TABLES = ['audit_sends', 'audit_statuses', 'audit_clicks'] as const;
export type AuditTable = (typeof AUDIT_TABLES)[number];

/**
 * Bumped when the DDL below changes; the migration records it. 2: every table has `tenant` (the
 * stack's permanent uid, else its id), added to a version-1 schema by TENANT_DDL.
 */
export const AUDIT_SCHEMA_VERSION = 2;

const PARENT_DDL: Record<AuditTable, string> = {
  audit_sends: `CREATE TABLE IF NOT EXISTS audit_sends (
    seq bigserial,
    stack_id text NOT NULL,
    tenant text,
    wamid text NOT NULL,
    at timestamptz NOT NULL,
    route text NOT NULL,
    reason text NOT NULL,
    mm_error_code integer,
    calls jsonb NOT NULL,
    idempotency_key text,
    template text
  ) PARTITION BY RANGE (at)`,
  audit_statuses: `CREATE TABLE IF NOT EXISTS audit_statuses (
    seq bigserial,
    stack_id text NOT NULL,
    tenant text,
    wamid text NOT NULL,
    at timestamptz NOT NULL,
    status text NOT NULL,
    meta_timestamp text,
    errors jsonb,
    pricing jsonb,
    cost numeric
  ) PARTITION BY RANGE (at)`,
  audit_clicks: `CREATE TABLE IF NOT EXISTS audit_clicks (
    seq bigserial,
    stack_id text NOT NULL,
    tenant text,
    wamid text,
    at timestamptz NOT NULL,
    click_id text,
    data jsonb NOT NULL
  ) PARTITION BY RANGE (at)`,
};

/** Indexes on the parents: PostgreSQL creates them on every partition, present and future. */
const INDEX_DDL: string[] = [
  'CREATE INDEX IF NOT EXISTS audit_sends_wamid ON audit_sends (stack_id, wamid)',
  'CREATE INDEX IF NOT EXISTS audit_sends_at ON audit_sends (stack_id, at)',
  'CREATE INDEX IF NOT EXISTS audit_statuses_wamid ON audit_statuses (stack_id, wamid)',
  'CREATE INDEX IF NOT EXISTS audit_clicks_wamid ON audit_clicks (stack_id, wamid)',
];

/**
 * Version 1 -> 2: the tenant column, on the partitioned parents (PostgreSQL adds it to every partition).
 * Rows from before it have NULL: they belong to the tenant `stack_id`, which only a stack without a uid
 * has, so a stored stack never sees them (the rule of a ledger line without a tenant).
 */
const TENANT_DDL: string[] = AUDIT_TABLES.map((table) => `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS tenant text`);

export const VERSION_DDL = 'CREATE TABLE IF NOT EXISTS audit_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())';

export const parentDdl = (table: AuditTable): string => PARENT_DDL[table];
export const indexDdl = (): readonly string[] => INDEX_DDL;
export const tenantDdl = (): readonly string[] => TENANT_DDL;

const DAY_MS = 86_400_000;

/** Start (UTC midnight, epoch ms) of the day holding `at`. */
export const dayStart = (at: number): number => Math.floor(at / DAY_MS) * DAY_MS;

/** `audit_sends_p20261202`: the partition of `table` holding the UTC day that starts at `day`. */
export const partitionName = (table: AuditTable, day: number): string => `${table}_p${new Date(day).toISOString().slice(0, 10).replaceAll('-', '')}`;

/** The day (epoch ms) a partition name stands for, or undefined for a name this module did not make. */
export const partitionDay = (name: string): number | undefined => {
  const match = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!match) return undefined;
  const day = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(day) ? undefined : day;
};

export const partitionDdl = (table: AuditTable, day: number): string =>
  `CREATE TABLE IF NOT EXISTS ${partitionName(table, day)} PARTITION OF ${table} FOR VALUES FROM ('${new Date(day).toISOString()}') TO ('${new Date(day + DAY_MS).toISOString()}')`;

/**
 * Partitions whose whole day ended before `now - retention`: everything in them is older than the
 * retention, so dropping them never removes an event still inside it.
 */
export const expiredPartitions = (names: readonly string[], now: number, retentionSeconds: number): string[] =>
  names.filter((name) => {
    const day = partitionDay(name);
    return day !== undefined && day + DAY_MS <= now - retentionSeconds * 1000;
  });
