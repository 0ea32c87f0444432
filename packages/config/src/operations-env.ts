import { z } from 'zod';
import { optionalEnv } from './blank.ts';

/** 32 random bytes in base64 (`openssl rand -base64 32`), decoded once at start. */
export const encryptionKeySchema = z.string().transform((value, ctx) => {
  const text = value.trim();
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text) || key.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes in base64 (generate one with: openssl rand -base64 32)' });
    return z.NEVER;
  }
  return key;
});

/** Settings every process shares for the stack store and the operations endpoints. */
export const operationsEnv = {
  /**
   * Turns on the stack store: stacks live in Redis (seeded from STACKS_FILE) and the
   * admin API can change them; Meta tokens and webhook secrets are encrypted with it.
   */
  STACKS_ENCRYPTION_KEY: optionalEnv(encryptionKeySchema),
  /** During a key rotation: the keys being retired, comma-separated; secrets they sealed still open. */
  STACKS_ENCRYPTION_KEY_PREVIOUS: optionalEnv(
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((key) => key.trim())
          .filter(Boolean),
      )
      .pipe(z.array(encryptionKeySchema).min(1, 'must name at least one key')),
  ),
  /** How often every process reloads the stacks from Redis, besides change notifications. */
  STACKS_REFRESH_MS: z.coerce.number().int().min(1000).default(30_000),
  /** When set, /metrics wants `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: optionalEnv(z.string().min(1)),
  /** How often queue depths and dead-letter sizes are read from Redis for /metrics. */
  QUEUE_METRICS_INTERVAL_MS: z.coerce.number().int().min(1000).default(15_000),
};

/** STACKS_FILE is required unless stacks live in Redis (STACKS_ENCRYPTION_KEY set). */
export function requireStacksSource(env: { STACKS_FILE?: string; STACKS_ENCRYPTION_KEY?: Buffer }, ctx: z.RefinementCtx): void {
  if (env.STACKS_FILE || env.STACKS_ENCRYPTION_KEY) return;
  ctx.addIssue({
    code: 'custom',
    path: ['STACKS_FILE'],
    message: 'must name a JSON file of stacks (or set STACKS_ENCRYPTION_KEY to keep stacks in Redis, seeded from the optional file)',
  });
}
