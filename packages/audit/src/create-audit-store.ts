import type { Redis } from 'ioredis';
import type { AuditEnv } from '@gw/config';
import type { RedisKeys } from '@gw/contracts';
import type { AuditStore } from './audit-store.ts';
import { RedisAuditStore } from './redis/redis-audit-store.ts';

/**
 * The AuditStore the ingress reads and the worker records to: Redis by default.
 * With AUDIT_DATABASE_URL set, the PostgreSQL sink (packages/audit/src/postgres/) plugs in here.
 */
export function createAuditStore(env: AuditEnv, redis: Redis, keys: RedisKeys): AuditStore {
  // Seam for the PostgreSQL sink: `if (env.AUDIT_DATABASE_URL) return new PostgresAuditStore(...)`.
  return new RedisAuditStore({ redis, keys, auditRetentionSeconds: env.LEDGER_RETENTION_SECONDS, analyticsRetentionSeconds: env.ANALYTICS_RETENTION_SECONDS });
}
