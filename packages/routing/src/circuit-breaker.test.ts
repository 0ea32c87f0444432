import { describe, expect, it } from 'vitest';
import { KeyedCircuitBreaker } from './circuit-breaker.ts';

function breaker() {
  let now = 0;
  const b = new KeyedCircuitBreaker({ failureThreshold: 3, openMs: 1000 }, () => now);
  return { b, advance: (ms: number) => (now += ms) };
}

describe('KeyedCircuitBreaker', () => {
  it('opens after the threshold of consecutive failures, per key', () => {
    const { b } = breaker();
    b.failure('w1');
    b.failure('w1');
    expect(b.allows('w1')).toBe(true);
    b.failure('w1');
    expect(b.allows('w1')).toBe(false);
    expect(b.allows('w2')).toBe(true);
  });

  it('resets the count on a success', () => {
    const { b } = breaker();
    b.failure('w1');
    b.failure('w1');
    b.success('w1');
    b.failure('w1');
    expect(b.allows('w1')).toBe(true);
  });

  it('lets exactly one trial through once the open period ends, and closes when it succeeds', () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.failure('w1');
    advance(1001);
    expect(b.allows('w1')).toBe(true);
    expect(b.allows('w1')).toBe(false);
    b.success('w1');
    expect(b.state('w1')).toBe('closed');
    expect(b.allows('w1')).toBe(true);
  });

  it('reopens when the half-open trial fails', () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.failure('w1');
    advance(1001);
    expect(b.allows('w1')).toBe(true);
    b.failure('w1');
    expect(b.state('w1')).toBe('open');
    expect(b.allows('w1')).toBe(false);
  });
});
