import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, parseEnv } from './env.ts';
import { requireStacksSource } from './operations-env.ts';
import { hashApiKey, StackDirectory, type Stack } from './stacks.ts';

const stack = (id: string, phoneNumberId: string, wabaId = '900'): Stack => ({
  id,
  phoneNumberId,
  wabaId,
  accessToken: `token-${id}`,
  mmRouting: true,
  messagesPerSecond: 80,
});

describe('a directory of stacks kept in Redis', () => {
  it('accepts a rotated-out key only until its grace period ends', () => {
    const directory = StackDirectory.fromEntries([
      {
        stack: stack('a', '1'),
        apiKeyHashes: [
          { hash: hashApiKey('new-key') },
          { hash: hashApiKey('old-key'), expiresAt: Date.now() + 60_000 },
          { hash: hashApiKey('gone-key'), expiresAt: Date.now() - 1 },
        ],
      },
    ]);
    expect(directory.byApiKey('new-key')?.id).toBe('a');
    expect(directory.byApiKey('old-key')?.id).toBe('a');
    expect(directory.byApiKey('gone-key')).toBeUndefined();
  });

  it('shows replaced stacks to every holder of the instance, and keeps the old set when the new one clashes', () => {
    const directory = StackDirectory.fromEntries([{ stack: stack('a', '1'), apiKeyHashes: [{ hash: hashApiKey('key-a') }] }]);
    directory.replace([
      { stack: stack('a', '1'), apiKeyHashes: [{ hash: hashApiKey('key-a') }] },
      { stack: stack('b', '2'), apiKeyHashes: [{ hash: hashApiKey('key-b') }] },
    ]);
    expect(directory.byApiKey('key-b')?.id).toBe('b');
    expect(directory.byWabaId('900').map((s) => s.id)).toEqual(['a', 'b']);
    expect(() =>
      directory.replace([
        { stack: stack('c', '2'), apiKeyHashes: [] },
        { stack: stack('d', '2'), apiKeyHashes: [] },
      ]),
    ).toThrow(/phoneNumberId/);
    expect(directory.all().map((s) => s.id)).toEqual(['a', 'b']);
  });

  it("never keeps a file stack's API key in clear", () => {
    const directory = new StackDirectory([{ ...stack('a', '1'), apiKey: 'k'.repeat(20) }]);
    expect(JSON.stringify(directory.all())).not.toContain('k'.repeat(20));
    expect(directory.byApiKey('k'.repeat(20))?.id).toBe('a');
  });
});

describe('the stacks source in the environment', () => {
  const schema = z.object(commonEnv).superRefine(requireStacksSource);
  const key = randomBytes(32).toString('base64');

  it('lets STACKS_ENCRYPTION_KEY stand in for STACKS_FILE and decodes it once', () => {
    const env = parseEnv(schema, { STACKS_ENCRYPTION_KEY: key });
    expect(env.STACKS_FILE).toBeUndefined();
    expect(env.STACKS_ENCRYPTION_KEY?.length).toBe(32);
    expect(env.STACKS_REFRESH_MS).toBe(30_000);
  });

  it('refuses a key that is not 32 bytes of base64, naming the variable but not the value', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseEnv(schema, { STACKS_ENCRYPTION_KEY: short })).toThrow(/STACKS_ENCRYPTION_KEY: must be 32 bytes/);
    try {
      parseEnv(schema, { STACKS_ENCRYPTION_KEY: short });
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
  });

  it('treats an empty value as unset', () => {
    expect(() => parseEnv(schema, { STACKS_FILE: '', STACKS_ENCRYPTION_KEY: '' })).toThrow(/STACKS_FILE/);
  });
});
