import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/**
 * AES-256-GCM for secrets at rest: a random 12-byte IV per value, the 16-byte
 * auth tag stored beside it. `context` (stack id and field) is bound as
 * associated data, so a ciphertext copied to another stack or field is refused.
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>`, each part base64url.
 */
export function seal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), body].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/**
 * The plaintext, or SecretBoxError when the value was altered, moved or sealed
 * with none of `keys` (the current key first, then older ones during a rotation).
 */
export function open(keys: Buffer | readonly Buffer[], sealed: string, context: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) {
    throw new SecretBoxError('not a sealed secret');
  }
  const candidates: readonly Buffer[] = Buffer.isBuffer(keys) ? [keys] : keys;
  for (const key of candidates) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // Not this key: try the next.
    }
  }
  throw new SecretBoxError('cannot decrypt: wrong STACKS_ENCRYPTION_KEY (or STACKS_ENCRYPTION_KEY_PREVIOUS), or the value was altered');
}
