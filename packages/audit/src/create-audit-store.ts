import type { Redis } from 'ioredis';
import type { AuditEnv } from '@gw/config';
import type { RedisKeys } from '@gw/contracts';
import type { AuditStore } from './audit-store.ts';
import { RedisAuditStore } from './redis/redis-audit-store.ts';
import { PostgresAuditStore, type AuditSinkLogger } from './postgres/postgres-audit-store.ts';

/**
 * The AuditStore the ingress reads and the worker records to: Redis by default.
 * With AUDIT_DATABASE_URL set, the PostgreSQL sink (packages/audit/src/postgres/) plugs in here.
 */
export function createAuditStore(env: AuditEnv, redis: Redis, keys: RedisKeys, logger: AuditSinkLogger): AuditStore {
  // The sink's schema comes from `pnpm audit:migrate`; its writes are buffered and never awaited by a send.
  const redisStore = new RedisAuditStore({ redis, keys, auditRetentionSeconds: env.LEDGER_RETENTION_SECONDS, analyticsRetentionSeconds: env.ANALYTICS_RETENTION_SECONDS });
  // The Redis store still answers the entry of a send the sink has not written yet (from its ledger line).
  if (env.AUDIT_DATABASE_URL) return new PostgresAuditStore({ connectionString: env.AUDIT_DATABASE_URL, logger, recent: redisStore });
  return redisStore;
}
