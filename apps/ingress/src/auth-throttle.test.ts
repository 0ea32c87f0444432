import { describe, expect, it } from 'vitest';
import { AuthThrottle } from './auth-throttle.ts';

describe('AuthThrottle', () => {
  it('is quiet until a client fails, and again once its window is over', () => {
    const throttle = new AuthThrottle({ limit: 2, windowMs: 1000 });
    expect(throttle.quiet).toBe(true);
    throttle.failed('10.0.0.1', 0);
    expect(throttle.quiet).toBe(false);
    expect(throttle.blockedFor('10.0.0.1', 10)).toBe(0);
    throttle.failed('10.0.0.1', 20);
    expect(throttle.blockedFor('10.0.0.1', 30)).toBe(1);
    expect(throttle.blockedFor('10.0.0.2', 30)).toBe(0);
    expect(throttle.blockedFor('10.0.0.1', 1000)).toBe(0);
    expect(throttle.quiet).toBe(true);
  });
});
