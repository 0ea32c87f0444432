import { describe, expect, it } from 'vitest';
import { StackLimits } from './stack-limits.ts';

const now = 1_700_000_000_000;

describe('per-stack limits', () => {
  it('lets a burst of two seconds of sends through, then refuses until the bucket refills', () => {
    const limits = new StackLimits({ ratePerSecond: 5, maxInFlight: 100 });
    for (let i = 0; i < 10; i++) expect(limits.admit('a', 80, now).ok).toBe(true);
    const refused = limits.admit('a', 80, now);
    expect(refused).toMatchObject({ ok: false, reason: 'rate', limit: 5 });
    expect(limits.admit('b', 80, now).ok).toBe(true);
    expect(limits.admit('a', 80, now + 200).ok).toBe(true);
  });

  it('defaults the rate to twice the stack throughput, at least 100 per second', () => {
    const limits = new StackLimits({ ratePerSecond: 0, maxInFlight: 1000 });
    expect(limits.rateOf(5)).toBe(100);
    expect(limits.rateOf(1000)).toBe(2000);
    expect(limits.rateOf(80)).toBe(160);
    let admitted = 0;
    for (let i = 0; i < 400; i++) if (limits.admit('a', 80, now).ok) admitted += 1;
    expect(admitted).toBe(320);
  });

  it('caps sends in flight and frees a slot on release (once)', () => {
    const limits = new StackLimits({ ratePerSecond: 1000, maxInFlight: 2 });
    const first = limits.admit('a', 80, now);
    const second = limits.admit('a', 80, now);
    expect(limits.admit('a', 80, now)).toMatchObject({ ok: false, reason: 'in_flight' });
    if (!first.ok || !second.ok) throw new Error('admitted');
    first.release();
    first.release();
    expect(limits.admit('a', 80, now).ok).toBe(true);
    expect(limits.admit('a', 80, now).ok).toBe(false);
  });

  it('defaults the in-flight cap to what the stack throughput needs at Meta latency and pacing waits, at least 256', () => {
    const limits = new StackLimits({ ratePerSecond: 0, maxInFlight: 0 });
    expect(limits.inFlightOf(80)).toBe(256);
    expect(limits.inFlightOf(1000)).toBe(2500);
    expect(new StackLimits({ ratePerSecond: 0, maxInFlight: 50 }).inFlightOf(1000)).toBe(50);
  });
});
