import { describe, expect, it } from 'vitest';
import { redisKeys } from './redis-keys.ts';

describe('operations keys', () => {
  const keys = redisKeys('{gw}');

  it('keeps the stack store, its indexes and its change channel under the prefix', () => {
    expect([keys.stacks(), keys.stackApiKeyIndex(), keys.stackPhoneIndex(), keys.stacksSeeded(), keys.stacksChanged()]).toEqual([
      '{gw}:stacks',
      '{gw}:stacks:by-key',
      '{gw}:stacks:by-phone',
      '{gw}:stacks:seeded',
      '{gw}:stacks:changed',
    ]);
  });

  it('keeps the worker heartbeats in one key under the prefix', () => {
    expect(keys.workerHeartbeats()).toBe('{gw}:workers');
  });
});
