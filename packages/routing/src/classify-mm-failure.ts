/**
 * What a failed Marketing Messages API attempt tells us, by Meta error code
 * rather than HTTP status (the table under "Routing rules" in the README).
 */
export type MmFailureClass =
  /** Definitely not a marketing template: cache non-marketing, fall back. */
  | 'not_marketing'
  /** Marketing template still syncing to Ads: fall back, do not cache non-marketing. */
  | 'template_syncing'
  /** WABA not eligible or not onboarded: fall back, say nothing about the template. */
  | 'waba_unavailable'
  /** Outage, throttling of the MM API, connection refused before sending: fall back, cache nothing. */
  | 'outage'
  /** About the recipient or the number's throughput: Cloud would refuse too; answer as Meta did. */
  | 'pass_through'
  /** Any other request error: fall back without learning anything. */
  | 'other_error'
  /** No answer after the request was sent: Meta may have delivered it. */
  | 'ambiguous';

export type MmAttemptOutcome =
  | { kind: 'response'; status: number; errorCode?: number }
  | { kind: 'not_sent' }
  | { kind: 'timeout' };

const BY_CODE: ReadonlyMap<number, MmFailureClass> = new Map([
  [100, 'not_marketing'],
  [131055, 'not_marketing'],
  [134100, 'not_marketing'],
  [134101, 'template_syncing'],
  [134102, 'waba_unavailable'],
  // Pair rate limit and number throughput are shared with the Cloud API.
  [131056, 'pass_through'],
  [130429, 'pass_through'],
]);

export function classifyMmFailure(outcome: MmAttemptOutcome): MmFailureClass {
  if (outcome.kind === 'timeout') return 'ambiguous';
  if (outcome.kind === 'not_sent') return 'outage';
  const byCode = outcome.errorCode === undefined ? undefined : BY_CODE.get(outcome.errorCode);
  if (byCode) return byCode;
  if (outcome.status >= 500 || outcome.status === 429) return 'outage';
  return 'other_error';
}

/** Whether a failure class lets the gateway send the same message via the Cloud API. */
export function fallsBack(failure: MmFailureClass, timeoutPolicy: 'fail' | 'fallback'): boolean {
  if (failure === 'pass_through') return false;
  if (failure === 'ambiguous') return timeoutPolicy === 'fallback';
  return true;
}
