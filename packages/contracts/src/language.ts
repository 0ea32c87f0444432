/** Meta's REST API says `en_US`, its webhooks say `en-US`: one key for both. */
export function normaliseLanguage(code: string): string {
  const [lang = '', ...rest] = code.trim().split(/[-_]/);
  return [lang.toLowerCase(), ...rest.map((part) => part.toUpperCase())].join('_');
}
