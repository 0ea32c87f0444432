import type { AuditSinkLogger } from './postgres-audit-store.ts';

export interface RetentionTarget {
  dropExpired(retentionSeconds: number): Promise<string[]>;
}

export interface Retention {
  stop(): void;
}

/**
 * Runs the sink's retention step now and every `intervalMs` (hourly by default). Every worker may run
 * it: dropping a partition is idempotent and a step that fails (another worker dropping the same
 * partition, PostgreSQL down) is logged and tried again next time.
 */
export function startAuditRetention(target: RetentionTarget, retentionSeconds: number, logger: AuditSinkLogger, intervalMs = 3_600_000): Retention {
  const run = () => {
    target.dropExpired(retentionSeconds).catch((error: unknown) => {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'audit sink: the retention step failed; retrying next interval');
    });
  };
  run();
  const timer = setInterval(run, intervalMs).unref();
  return { stop: () => clearInterval(timer) };
}
