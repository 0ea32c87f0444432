/** The route reasons a failure plan can give (a subset of the gateway's FailureReason). */
export type FailureReason =
  'checked_fallback' | 'stale_fallback' | 'mm_unavailable_fallback' | 'mm_timeout' | 'max_price' | 'mm_pass_through' | 'invalid_parameter_fallback' | 'cloud_marketing_off';

/**
 * What a failed Marketing Messages API attempt tells us, by Meta error code
 * rather than HTTP status (README, "Routing rules").
 */
export type MmFailureClass =
  /** Definitely not a marketing template (131055, 134100): cache non-marketing, fall back. */
  | 'not_marketing'
  /** Marketing template still syncing to Ads (134101): fall back, note "syncing" briefly. */
  | 'template_syncing'
  /** WABA not eligible or not onboarded (134102): fall back, skip MM for this WABA a while. */
  | 'waba_unavailable'
  /** The WABA turned marketing off on the Cloud API (131063): a fallback would be refused too. */
  | 'cloud_marketing_off'
  /** Invalid parameter (100): about this request, not the template; fall back only to get Cloud's own answer. */
  | 'invalid_parameter'
  /** Outage, throttling of the MM API, connection refused before sending: fall back, cache nothing. */
  | 'outage'
  /** About the recipient (131049, 131056) or the number's throughput (130429): Cloud would refuse too. */
  | 'pass_through'
  /** Any other request error: fall back without learning anything. */
  | 'other_error'
  /** No answer after the request was sent: Meta may have delivered it. */
  | 'ambiguous';

export type MmAttemptOutcome = { kind: 'response'; status: number; errorCode?: number } | { kind: 'not_sent' } | { kind: 'timeout' };

const BY_CODE: ReadonlyMap<number, MmFailureClass> = new Map([
  [100, 'invalid_parameter'],
  [131055, 'not_marketing'],
  [134100, 'not_marketing'],
  [134101, 'template_syncing'],
  // Arrives as HTTP 500 but is a definite refusal: the code decides before the status.
  [134102, 'waba_unavailable'],
  [131063, 'cloud_marketing_off'],
  [131049, 'pass_through'],
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

/** What a probe teaches the sends waiting on it; `none`: nothing, each waiter tries for itself. */
export type ProbeLesson = 'non_marketing' | 'syncing' | 'fallback' | 'none';

export interface FailureContext {
  /** The MM attempt was the probe of a template of unknown category. */
  checked: boolean;
  /** The send carries `bid_spec`: the Cloud API refuses it (131061), so it never falls back. */
  maxPrice: boolean;
  /** The template is known to be marketing and its WABA turned marketing off on the Cloud API. */
  cloudMarketingOff: boolean;
  timeoutPolicy: 'fail' | 'fallback';
}

/** Everything the worker does after an MM failure; it carries this out and decides nothing. */
export interface FailurePlan {
  failure: MmFailureClass;
  /** Send the same message (without MM-only fields) to the Cloud API. */
  fallBack: boolean;
  /** The `x-gateway-route-reason` of the answer. */
  reason: FailureReason;
  /** What to write to the category cache for this template. */
  learnCategory?: 'non_marketing' | 'syncing';
  /** What to remember about the WABA. */
  learnWaba?: 'mm_unavailable' | 'cloud_marketing_off';
  breaker: 'failure' | 'success';
  /** What the sends waiting on this probe do. */
  probeLesson: ProbeLesson;
}

interface Row {
  fallBack: boolean;
  learnCategory?: FailurePlan['learnCategory'];
  learnWaba?: FailurePlan['learnWaba'];
  breaker: FailurePlan['breaker'];
  probeLesson: ProbeLesson;
  /** Reason when the attempt was a probe / when the category was already known to be marketing. */
  reason: { checked: FailureReason; cached: FailureReason };
}

/** One row per failure class: the whole policy, readable at a glance. */
const POLICY: Record<MmFailureClass, Row> = {
  not_marketing: {
    fallBack: true,
    learnCategory: 'non_marketing',
    breaker: 'success',
    probeLesson: 'non_marketing',
    reason: { checked: 'checked_fallback', cached: 'stale_fallback' },
  },
  template_syncing: {
    fallBack: true,
    learnCategory: 'syncing',
    breaker: 'success',
    probeLesson: 'syncing',
    reason: { checked: 'checked_fallback', cached: 'mm_unavailable_fallback' },
  },
  waba_unavailable: {
    fallBack: true,
    learnWaba: 'mm_unavailable',
    breaker: 'success',
    probeLesson: 'fallback',
    reason: { checked: 'checked_fallback', cached: 'mm_unavailable_fallback' },
  },
  cloud_marketing_off: {
    fallBack: false,
    learnWaba: 'cloud_marketing_off',
    breaker: 'success',
    probeLesson: 'none',
    reason: { checked: 'cloud_marketing_off', cached: 'cloud_marketing_off' },
  },
  invalid_parameter: {
    fallBack: true,
    breaker: 'success',
    probeLesson: 'none',
    reason: { checked: 'invalid_parameter_fallback', cached: 'invalid_parameter_fallback' },
  },
  outage: {
    fallBack: true,
    breaker: 'failure',
    probeLesson: 'fallback',
    reason: { checked: 'checked_fallback', cached: 'mm_unavailable_fallback' },
  },
  pass_through: {
    fallBack: false,
    breaker: 'success',
    probeLesson: 'none',
    reason: { checked: 'mm_pass_through', cached: 'mm_pass_through' },
  },
  other_error: {
    fallBack: true,
    breaker: 'success',
    probeLesson: 'fallback',
    reason: { checked: 'checked_fallback', cached: 'mm_unavailable_fallback' },
  },
  ambiguous: {
    fallBack: true,
    breaker: 'failure',
    probeLesson: 'fallback',
    reason: { checked: 'checked_fallback', cached: 'mm_unavailable_fallback' },
  },
};

/**
 * What happens after a failed MM attempt. Pure: the worker carries out the plan.
 * Rules that stop a fallback win over the row: a timeout under the `fail` policy
 * (Meta may have delivered it), a max-price send, a WABA with Cloud marketing off.
 */
export function planMmFailure(outcome: MmAttemptOutcome, context: FailureContext): FailurePlan {
  const failure = classifyMmFailure(outcome);
  const row = POLICY[failure];
  const plan: FailurePlan = {
    failure,
    fallBack: row.fallBack,
    reason: context.checked ? row.reason.checked : row.reason.cached,
    breaker: row.breaker,
    probeLesson: row.probeLesson,
    ...(row.learnCategory ? { learnCategory: row.learnCategory } : {}),
    ...(row.learnWaba ? { learnWaba: row.learnWaba } : {}),
  };
  if (!plan.fallBack) return plan;
  if (failure === 'ambiguous' && context.timeoutPolicy === 'fail') return { ...plan, fallBack: false, reason: 'mm_timeout' };
  if (context.maxPrice) return { ...plan, fallBack: false, reason: 'max_price' };
  // A template that turned out not to be marketing may still go to the Cloud API.
  if (context.cloudMarketingOff && failure !== 'not_marketing') return { ...plan, fallBack: false, reason: 'cloud_marketing_off' };
  return plan;
}

/** What a Cloud API answer teaches about the WABA: 131063 means marketing is off there. */
export function learnFromCloudAnswer(errorCode: number | undefined): 'cloud_marketing_off' | undefined {
  return errorCode === 131063 ? 'cloud_marketing_off' : undefined;
}
