import { describe, expect, it } from 'vitest';
import { nextLeaseSize } from './pacer.ts';

const lease = (size: number, tokens: number) => ({ size, tokens, availableAt: 0, until: 0 });

describe('nextLeaseSize', () => {
  it('takes one token for a lone send on a quiet number', () => {
    expect(nextLeaseSize(undefined, 1, 50)).toBe(1);
    expect(nextLeaseSize(lease(4, 3), 1, 50)).toBe(1);
  });

  it('takes a token for every send waiting, within the lease limit', () => {
    expect(nextLeaseSize(undefined, 30, 50)).toBe(30);
    expect(nextLeaseSize(undefined, 500, 50)).toBe(50);
  });

  it('doubles a lease that was used up, and follows what was used otherwise', () => {
    expect(nextLeaseSize(lease(8, 0), 1, 50)).toBe(16);
    expect(nextLeaseSize(lease(40, 0), 1, 50)).toBe(50);
    expect(nextLeaseSize(lease(20, 5), 1, 50)).toBe(15);
  });
});
