const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attributes: every value on the page goes through it. */
export const esc = (value: string | number | undefined | null): string => String(value ?? '').replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);

export const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

export const money = (cost: number | null): string => (cost === null ? '–' : cost.toFixed(4));
