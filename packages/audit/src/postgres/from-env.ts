import { PostgresAuditStore, type AuditSinkLogger } from './postgres-audit-store.ts';

/** The PostgreSQL sink when AUDIT_DATABASE_URL is set; undefined keeps the audit in Redis. */
export function postgresAuditStoreFromEnv(env: { AUDIT_DATABASE_URL?: string }, logger: AuditSinkLogger): PostgresAuditStore | undefined {
  return env.AUDIT_DATABASE_URL ? new PostgresAuditStore({ connectionString: env.AUDIT_DATABASE_URL, logger }) : undefined;
}
