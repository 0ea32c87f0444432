import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, seal, SecretBoxError } from './secret-box.ts';

const key = randomBytes(32);

describe('secrets at rest', () => {
  it('opens what it sealed, and never shows the plaintext in the sealed form', () => {
    const sealed = seal(key, 'EAAG-meta-token', 'stack:a:accessToken');
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(sealed).not.toContain('EAAG');
    expect(open(key, sealed, 'stack:a:accessToken')).toBe('EAAG-meta-token');
  });

  it('uses a fresh IV for every value, so equal secrets look different', () => {
    expect(seal(key, 'same', 'c')).not.toBe(seal(key, 'same', 'c'));
  });

  it('refuses a value sealed with another key, altered, or moved to another stack or field', () => {
    const sealed = seal(key, 'secret', 'stack:a:webhookSecret');
    expect(() => open(randomBytes(32), sealed, 'stack:a:webhookSecret')).toThrow(SecretBoxError);
    expect(() => open(key, sealed, 'stack:b:webhookSecret')).toThrow(SecretBoxError);
    expect(() => open(key, sealed, 'stack:a:accessToken')).toThrow(SecretBoxError);
    const [v, iv, tag, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => open(key, [v, iv, tag, flipped.toString('base64url')].join('.'), 'stack:a:webhookSecret')).toThrow(SecretBoxError);
    expect(() => open(key, 'plain text', 'stack:a:webhookSecret')).toThrow(/not a sealed secret/);
  });

  it('opens with any key of a rotation, the current one first', () => {
    const retired = randomBytes(32);
    const sealed = seal(retired, 'old-secret', 'stack:a:accessToken');
    expect(open([key, retired], sealed, 'stack:a:accessToken')).toBe('old-secret');
    expect(() => open([key, randomBytes(32)], sealed, 'stack:a:accessToken')).toThrow(SecretBoxError);
  });
});
