import { describe, expect, it } from 'vitest';
import { StackSlots } from './stack-slots.ts';

describe('StackSlots', () => {
  it('gives each stack at most its share, independently of other stacks', () => {
    const slots = new StackSlots(2, 5000, () => 0.5);
    expect([slots.tryAcquire('a'), slots.tryAcquire('a'), slots.tryAcquire('a')]).toEqual([true, true, false]);
    expect(slots.tryAcquire('b')).toBe(true);
    slots.release('a', 10);
    expect(slots.tryAcquire('a')).toBe(true);
  });

  it('makes a stack over its share wait about as long as its deliveries take, within bounds', () => {
    const slots = new StackSlots(1, 5000, () => 0.5);
    expect(slots.waitMs('new')).toBe(100);
    slots.tryAcquire('fast');
    slots.release('fast', 20);
    expect(slots.waitMs('fast')).toBe(100);
    slots.tryAcquire('hanging');
    slots.release('hanging', 5000);
    expect(slots.waitMs('hanging')).toBe(5000);
  });
});
