import { createHash, randomBytes } from 'node:crypto';

/** Random wamid; 24 random bytes make collisions a non-issue even across restarts. */
export function newWamid(): string {
  return `wamid.${randomBytes(24).toString('base64url')}`;
}

/** Meta's fbtrace_id is a 23-character opaque string. */
export function newFbtraceId(): string {
  return randomBytes(18).toString('base64url').slice(0, 23);
}

export function randomToken(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Template ids are derived from (waba, name, language) so they stay the same
 * across restarts and resets, and fit in a JS number because Meta's template
 * webhooks carry `message_template_id` as an integer.
 */
export function templateIdFor(wabaId: string, name: string, language: string): string {
  const digest = createHash('sha256').update(`${wabaId}\0${name}\0${language}`).digest('hex');
  return String(1_000_000_000_000_000 + parseInt(digest.slice(0, 13), 16));
}
