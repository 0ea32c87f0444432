// Meta answers the REST API with `en_US` but webhooks with `en-US`, and callers
// send either spelling in either case; one canonical key avoids lookup misses.

/** Canonical storage/lookup form: lower-case language, upper-case region, joined by `_`. */
export function normaliseLanguage(code: string): string {
  const [language = '', ...rest] = code.trim().split(/[-_]/);
  return [language.toLowerCase(), ...rest.map((part) => part.toUpperCase())].join('_');
}

/** The hyphenated spelling Meta uses inside template webhooks (`en-US`). */
export function webhookLanguage(code: string): string {
  return normaliseLanguage(code).replaceAll('_', '-');
}
