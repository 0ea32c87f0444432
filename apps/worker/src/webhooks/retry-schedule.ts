import type { BackoffStrategy } from 'bullmq';

export interface BackoffSettings {
  /** Delay after attempt n (1-based) is scheduleMs[n - 1]; the last entry repeats. */
  scheduleMs: number[];
  /** 0.2 means ±20 %. */
  jitter: number;
  retryAfterMaxMs: number;
  random?: () => number;
}

/** An attempt that may be tried again; `retryAfterMs` carries the client's Retry-After. */
export class DeliveryAttemptError extends Error {
  override name = 'DeliveryAttemptError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * BullMQ custom backoff: the configured schedule with jitter, or the client's
 * Retry-After (capped) when it sent one.
 */
export function createBackoffStrategy({ scheduleMs, jitter, retryAfterMaxMs, random = Math.random }: BackoffSettings): BackoffStrategy {
  return (attemptsMade, _type, error) => {
    const retryAfter = (error as Partial<DeliveryAttemptError> | undefined)?.retryAfterMs;
    if (typeof retryAfter === 'number') return Math.min(Math.max(0, retryAfter), retryAfterMaxMs);
    const base = scheduleMs[Math.min(Math.max(attemptsMade, 1), scheduleMs.length) - 1] ?? 0;
    return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
  };
}

/** `Retry-After` as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
