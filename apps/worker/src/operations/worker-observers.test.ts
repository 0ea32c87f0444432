import { describe, expect, it } from 'vitest';
import { queueWaitSeconds } from './worker-observers.ts';

describe('queue wait', () => {
  it('is the time from enqueue to start for a first attempt', () => {
    expect(queueWaitSeconds({ timestamp: 1000, processedOn: 1250, attemptsMade: 0, opts: {} })).toBe(0.25);
  });

  it('counts a delayed job from when it became due', () => {
    expect(queueWaitSeconds({ timestamp: 1000, processedOn: 6100, attemptsMade: 0, opts: { delay: 5000 } })).toBeCloseTo(0.1);
  });

  it('leaves retries out: their wait is the backoff, not the queue', () => {
    expect(queueWaitSeconds({ timestamp: 1000, processedOn: 9000, attemptsMade: 2, opts: {} })).toBeUndefined();
  });
});
