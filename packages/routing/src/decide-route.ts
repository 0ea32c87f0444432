/** What the category cache knows about a template. `unavailable` means the read failed. */
export type CachedCategory = 'marketing' | 'non_marketing' | 'unknown' | 'unavailable';

export interface RouteInput {
  endpoint: 'messages' | 'marketing_messages';
  mmRouting: boolean;
  isTemplate: boolean;
  cached: CachedCategory;
}

export type RouteDecision =
  | { action: 'mm_only'; reason: 'direct' }
  | { action: 'cloud'; reason: 'routing_disabled' | 'not_template' | 'cached_non_marketing' }
  | { action: 'mm_with_fallback'; reason: 'cached_marketing' }
  | { action: 'checked'; reason: 'checked' };

/** The routing rules of product.md, in order. Pure: no I/O, no clock. */
export function decideRoute(input: RouteInput): RouteDecision {
  if (input.endpoint === 'marketing_messages') return { action: 'mm_only', reason: 'direct' };
  if (!input.mmRouting) return { action: 'cloud', reason: 'routing_disabled' };
  if (!input.isTemplate) return { action: 'cloud', reason: 'not_template' };
  switch (input.cached) {
    case 'marketing':
      return { action: 'mm_with_fallback', reason: 'cached_marketing' };
    case 'non_marketing':
      return { action: 'cloud', reason: 'cached_non_marketing' };
    default:
      return { action: 'checked', reason: 'checked' };
  }
}

/** Whether the category has to be read at all: saves a Redis call for most traffic. */
export function needsCategory(input: Omit<RouteInput, 'cached'>): boolean {
  return input.endpoint === 'messages' && input.mmRouting && input.isTemplate;
}
