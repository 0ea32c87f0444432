import { describe, expect, it } from 'vitest';
import { bearerMatches, bearerToken, secretsEqual } from './secrets.ts';

describe('secretsEqual', () => {
  it('compares tokens of any length', () => {
    expect(secretsEqual('token', 'token')).toBe(true);
    expect(secretsEqual('token', 'token2')).toBe(false);
    expect(secretsEqual('', 'token')).toBe(false);
  });
});

describe('bearer tokens', () => {
  it('reads the token of a bearer header in any case, trimmed', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc  ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer    ')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('matches only the expected token', () => {
    expect(bearerMatches('Bearer s3cret', 's3cret')).toBe(true);
    expect(bearerMatches('Bearer s3cret2', 's3cret')).toBe(false);
    expect(bearerMatches(undefined, 's3cret')).toBe(false);
  });
});
