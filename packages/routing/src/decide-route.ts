/**
 * What the category cache knows about a template. `syncing` is a short-lived note
 * that the MM API said "still syncing"; `unavailable` means the read failed.
 */
export type CachedCategory = 'marketing' | 'non_marketing' | 'syncing' | 'unknown' | 'unavailable';

/** Why the MM API should not be tried for this WABA right now, if at all. */
export type MmBlock = 'none' | 'waba_unavailable' | 'circuit_open';

export interface RouteInput {
  endpoint: 'messages' | 'marketing_messages';
  mmRouting: boolean;
  isTemplate: boolean;
  cached: CachedCategory;
  mmBlock?: MmBlock;
}

export type RouteDecision =
  | { action: 'mm_only'; reason: 'direct' }
  | {
      action: 'cloud';
      reason: 'routing_disabled' | 'not_template' | 'cached_non_marketing' | 'template_syncing' | 'mm_waba_unavailable' | 'mm_circuit_open';
    }
  | { action: 'mm_with_fallback'; reason: 'cached_marketing' }
  | { action: 'checked'; reason: 'checked' };

/** The routing rules of the README ("Routing rules"), in order. Pure: no I/O, no clock. */
export function decideRoute(input: RouteInput): RouteDecision {
  if (input.endpoint === 'marketing_messages') return { action: 'mm_only', reason: 'direct' };
  if (!input.mmRouting) return { action: 'cloud', reason: 'routing_disabled' };
  if (!input.isTemplate) return { action: 'cloud', reason: 'not_template' };
  if (input.cached === 'non_marketing') return { action: 'cloud', reason: 'cached_non_marketing' };
  if (input.mmBlock === 'waba_unavailable') return { action: 'cloud', reason: 'mm_waba_unavailable' };
  if (input.mmBlock === 'circuit_open') return { action: 'cloud', reason: 'mm_circuit_open' };
  switch (input.cached) {
    case 'marketing':
      return { action: 'mm_with_fallback', reason: 'cached_marketing' };
    case 'syncing':
      return { action: 'cloud', reason: 'template_syncing' };
    default:
      return { action: 'checked', reason: 'checked' };
  }
}

/** Whether the category has to be read at all: saves a Redis call for most traffic. */
export function needsCategory(input: Omit<RouteInput, 'cached' | 'mmBlock'>): boolean {
  return input.endpoint === 'messages' && input.mmRouting && input.isTemplate;
}
