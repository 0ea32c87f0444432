import { z } from 'zod';
import { blankIsUnset } from './blank.ts';
import { intFromEnv } from './env.ts';

/** Audit and route analytics settings (issue #14), read by the worker (writes) and the ingress (routes). */
export const auditEnv = {
  /**
   * How long a message's audit entry is kept: its send ledger line (which is the audit entry)
   * and its status timeline. Also the webhook enrichment's window. 30 days.
   */
  LEDGER_RETENTION_SECONDS: intFromEnv(60, 30 * 24 * 3600),
  /** How long an hour bucket of the route analytics is kept after its last write. 90 days. */
  ANALYTICS_RETENTION_SECONDS: intFromEnv(3600, 90 * 24 * 3600),
  /** PostgreSQL for long retention; unset: audit and analytics live in Redis only. */
  AUDIT_DATABASE_URL: z.preprocess(blankIsUnset, z.string().url().optional()),
};
export const auditEnvSchema = z.object(auditEnv);
export type AuditEnv = z.infer<typeof auditEnvSchema>;
