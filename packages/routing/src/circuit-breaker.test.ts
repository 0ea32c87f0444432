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

  it('tells when it opens and closes a circuit, and takes what other processes opened and closed without telling back', () => {
    let now = 0;
    const told: string[] = [];
    const b = new KeyedCircuitBreaker(
      { failureThreshold: 2, openMs: 1000, onOpen: (key, until) => told.push(`open ${key} ${until}`), onClose: (key) => told.push(`close ${key}`) },
      () => now,
    );
    b.failure('w1');
    b.success('w1');
    expect(told).toEqual([]);
    b.failure('w1');
    b.failure('w1');
    expect(told).toEqual(['open w1 1000']);

    b.openedElsewhere('w2', 500);
    expect(b.allows('w2')).toBe(false);
    b.openedElsewhere('w3', -1);
    expect(b.allows('w3')).toBe(true);
    b.closedElsewhere('w2');
    expect(b.allows('w2')).toBe(true);
    now = 1001;
    expect(b.allows('w1')).toBe(true);
    b.success('w1');
    expect(told).toEqual(['open w1 1000', 'close w1']);
  });
});
