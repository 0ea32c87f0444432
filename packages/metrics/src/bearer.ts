import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of two secrets of any length. */
export function secretMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** True when `Authorization: Bearer <token>` carries the expected token. */
export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const given = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return given !== undefined && secretMatches(given, expected);
}
