import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, ConfigError, gatewayProcessEnv, parseEnv } from './env.ts';
import { blankIsUnset, optionalEnv } from './blank.ts';
import { requireStacksSource } from './operations-env.ts';
import { parseStacks, StackDirectory } from './stacks.ts';
import { redisOptionsFromUrl } from './redis.ts';

const stack = {
  id: 's1',
  apiKey: 'k'.repeat(20),
  phoneNumberId: '111',
  wabaId: '222',
  accessToken: 'tok',
};

describe('parseEnv', () => {
  const schema = z.object({ ...commonEnv, PORT: z.coerce.number().int().min(1).default(8080) }).superRefine(requireStacksSource);

  it('applies the documented defaults', () => {
    const env = parseEnv(schema, { STACKS_FILE: 'x.json' });
    expect(env).toMatchObject({ REDIS_URL: 'redis://127.0.0.1:6379', PORT: 8080, REDIS_KEY_PREFIX: 'gw' });
  });

  it('names the bad variable', () => {
    expect(() => parseEnv(schema, { STACKS_FILE: 'x', PORT: 'abc' })).toThrow(/PORT/);
    expect(() => parseEnv(schema, {})).toThrow(ConfigError);
    expect(() => parseEnv(schema, {})).toThrow(/STACKS_FILE/);
  });
});

describe('stacks', () => {
  it('turns routing on by default', () => {
    expect(parseStacks([stack])[0]?.mmRouting).toBe(true);
  });

  it('finds a stack by API key, id and phone number id', () => {
    const dir = new StackDirectory(parseStacks([stack]));
    expect(dir.byApiKey(stack.apiKey)?.id).toBe('s1');
    expect(dir.byApiKey('wrong')).toBeUndefined();
    expect(dir.byPhoneNumberId('111')?.id).toBe('s1');
  });

  it('refuses duplicate keys and bad webhook URLs, naming the field', () => {
    expect(() => new StackDirectory(parseStacks([stack, { ...stack, id: 's2', phoneNumberId: '3' }]))).toThrow(/apiKey/);
    expect(() => parseStacks([{ ...stack, webhookUrl: 'ftp://x' }])).toThrow(/webhookUrl/);
  });
});

describe('redisOptionsFromUrl', () => {
  it('reads host, port, password and db', () => {
    expect(redisOptionsFromUrl('redis://:pw@10.0.0.1:6390/2')).toMatchObject({ host: '10.0.0.1', port: 6390, password: 'pw', db: 2 });
  });
});

describe('a malformed STACKS_FILE', () => {
  it('is reported by line and column, never with the text around the error', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { readStacksFile } = await import('./stacks.ts');
    const dir = mkdtempSync(join(tmpdir(), 'stacks-'));
    for (const text of [
      '[{"id":"a","accessToken":EAAGsecret0123456789}]',
      '[{"id":"a",\n "accessToken":"EAAGsecret0123456789" "x":1}]',
      '[{"id":"a","accessToken":"EAAGsecret0123456789',
    ]) {
      const file = join(dir, 'stacks.json');
      writeFileSync(file, text);
      let message = '';
      try {
        readStacksFile(file);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain('is not valid JSON');
      expect(message).not.toContain('EAAG');
      expect(message).not.toContain('secret');
    }
  });
});

describe('blank means unset', () => {
  it('reads an empty or all-blank value as absent and leaves others alone', () => {
    expect(blankIsUnset('')).toBeUndefined();
    expect(blankIsUnset('  ')).toBeUndefined();
    expect(blankIsUnset('x')).toBe('x');
    expect(blankIsUnset(undefined)).toBeUndefined();
    const schema = z.object({ TOKEN: optionalEnv(z.string().min(1)), ...gatewayProcessEnv });
    expect(parseEnv(schema, { TOKEN: '' })).toEqual({ TOKEN: undefined, CATEGORY_TTL_SECONDS: 3600, SHUTDOWN_TIMEOUT_MS: 20_000 });
    expect(parseEnv(schema, { TOKEN: 't', STACKS_FILE: '' })).toMatchObject({ TOKEN: 't' });
    expect(() => parseEnv(schema, { CATEGORY_TTL_SECONDS: '0' })).toThrow(/CATEGORY_TTL_SECONDS/);
  });
});
