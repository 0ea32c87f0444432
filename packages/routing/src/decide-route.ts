/**
 * What the category cache knows about a template. `syncing` is a short-lived note
 * that the MM API said "still syncing"; `unavailable` means the read failed.
 */
export type CachedCategory = 'marketing' | 'non_marketing' | 'syncing' | 'unknown' | 'unavailable';

/** Why the MM API should not be tried for this WABA right now, if at all. */
export type MmBlock = 'none' | 'waba_unavailable' | 'circuit_open';

export interface RouteInput {
  endpoint: 'messages' | 'marketing_messages' | 'messages_encrypted';
  mmRouting: boolean;
  isTemplate: boolean;
  cached: CachedCategory;
  mmBlock?: MmBlock;
  /** Mark-as-read or typing indicator (`status` + `message_id`): a call, not a send. */
  statusUpdate?: boolean;
  /** `recipient_type` absent or `individual`; the MM API takes nothing else. */
  individual?: boolean;
  /** The send carries `bid_spec` (maximum price): MM API only. */
  maxPrice?: boolean;
  /** The WABA set `disable_marketing_messages_on_cloud_api` (learned from 131063 or the sync). */
  cloudMarketingOff?: boolean;
}

export type RouteDecision =
  | { action: 'mm_only'; reason: 'direct' | 'max_price' | 'cloud_marketing_off' }
  | { action: 'passthrough'; reason: 'encrypted' }
  | {
      action: 'cloud';
      reason: 'routing_disabled' | 'status_update' | 'not_template' | 'not_individual' | 'cached_non_marketing' | 'template_syncing' | 'mm_waba_unavailable' | 'mm_circuit_open';
    }
  | { action: 'mm_with_fallback'; reason: 'cached_marketing' }
  | { action: 'checked'; reason: 'checked' };

/** The routing rules of the README ("Routing rules"), in order. Pure: no I/O, no clock. */
export function decideRoute(input: RouteInput): RouteDecision {
  if (input.endpoint === 'marketing_messages') return { action: 'mm_only', reason: 'direct' };
  if (input.endpoint === 'messages_encrypted') return { action: 'passthrough', reason: 'encrypted' };
  if (input.statusUpdate) return { action: 'cloud', reason: 'status_update' };
  if (!input.mmRouting) return { action: 'cloud', reason: 'routing_disabled' };
  if (!input.isTemplate) return { action: 'cloud', reason: 'not_template' };
  if (input.individual === false) return { action: 'cloud', reason: 'not_individual' };
  // The Cloud API refuses a max-price send (131061): MM is the only place it can go.
  if (input.maxPrice) return { action: 'mm_only', reason: 'max_price' };
  if (input.cached === 'non_marketing') return { action: 'cloud', reason: 'cached_non_marketing' };
  // A marketing template of such a WABA would get 131063 from the Cloud API: try MM even when it looks blocked.
  if (input.cached === 'marketing' && input.cloudMarketingOff) return { action: 'mm_only', reason: 'cloud_marketing_off' };
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
export function needsCategory(input: Omit<RouteInput, 'cached' | 'mmBlock' | 'cloudMarketingOff'>): boolean {
  return input.endpoint === 'messages' && input.mmRouting && input.isTemplate && !input.statusUpdate && input.individual !== false && !input.maxPrice;
}

/**
 * Whether a Cloud API call for this reason drops MM-only fields first: every route
 * the gateway chose for an individual template (fallbacks and cached decisions).
 * Calls the gateway does not route (opted out, not a template, group) pass unchanged.
 */
export function stripsMmOnlyFields(reason: string): boolean {
  return !['routing_disabled', 'status_update', 'not_template', 'not_individual', 'encrypted'].includes(reason);
}
