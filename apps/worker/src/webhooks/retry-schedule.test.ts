import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE_MS } from './config.ts';
import { createBackoffStrategy, DeliveryAttemptError, parseRetryAfter } from './retry-schedule.ts';

describe('createBackoffStrategy', () => {
  const fixed = (random: number) => createBackoffStrategy({ scheduleMs: [1000, 5000], jitter: 0.2, retryAfterMaxMs: 60_000, random: () => random });

  it('follows the schedule, repeating its last step', () => {
    const strategy = fixed(0.5);
    expect([1, 2, 3].map((n) => strategy(n, 'webhook-schedule', new Error('x')))).toEqual([1000, 5000, 5000]);
  });

  it('varies each delay by at most the jitter either way', () => {
    expect(fixed(0)(1, undefined, new Error('x'))).toBe(800);
    expect(fixed(0.999999)(1, undefined, new Error('x'))).toBe(1200);
  });

  it('waits what the client asked for with Retry-After, capped', () => {
    expect(fixed(0.5)(1, undefined, new DeliveryAttemptError('429', 30_000))).toBe(30_000);
    expect(fixed(0.5)(1, undefined, new DeliveryAttemptError('503', 3_600_000))).toBe(60_000);
  });

  it('retries for more than 24 hours by default, even with the most negative jitter', () => {
    const delays = DEFAULT_RETRY_SCHEDULE_MS.split(',').map(Number);
    expect(delays.reduce((a, b) => a + b, 0) * 0.8).toBeGreaterThan(24 * 3600 * 1000);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(['3'])).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:10 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
