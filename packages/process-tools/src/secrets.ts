import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time equality of two secrets of any length (both hashed first, so lengths do not leak). The one such comparison of the gateway. */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of `Authorization: Bearer <token>`, trimmed; undefined without one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() || undefined;
}

/** True when `Authorization: Bearer <token>` carries the expected token. */
export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const given = bearerToken(authorization);
  return given !== undefined && secretsEqual(given, expected);
}
