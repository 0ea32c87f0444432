import { describe, expect, it } from 'vitest';
import { SendSlots } from './send-slots.ts';

describe('send slots', () => {
  it('let sends start at once up to the limit and hold the next ones back in order', async () => {
    const slots = new SendSlots(2);
    expect(slots.acquire()).toBeUndefined();
    expect(slots.acquire()).toBeUndefined();
    const started: number[] = [];
    const third = slots.acquire()!.then(() => started.push(3));
    const fourth = slots.acquire()!.then(() => started.push(4));
    expect(slots.queued).toBe(2);
    await Promise.resolve();
    expect(started).toEqual([]);
    slots.release();
    await third;
    expect(started).toEqual([3]);
    expect(slots.inFlight).toBe(2);
    slots.release();
    await fourth;
    expect(started).toEqual([3, 4]);
    slots.release();
    slots.release();
    expect(slots.inFlight).toBe(0);
    expect(slots.acquire()).toBeUndefined();
  });

  it('tell a send carrier when a send could start at once again', async () => {
    const slots = new SendSlots(1);
    expect(slots.whenFree()).toBeUndefined();
    expect(slots.acquire()).toBeUndefined();
    let free = false;
    const whenFree = slots.whenFree()!.then(() => (free = true));
    const waiting = slots.acquire()!;
    slots.release(); // passes to the waiting send: still no room
    await waiting;
    await Promise.resolve();
    expect(free).toBe(false);
    slots.release();
    await whenFree;
    expect(free).toBe(true);
    expect(slots.whenFree()).toBeUndefined();
  });
});
