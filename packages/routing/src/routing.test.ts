import { describe, expect, it } from 'vitest';
import { decideRoute, needsCategory, type RouteInput } from './decide-route.ts';
import { planMmFailure, learnFromCloudAnswer, type FailureContext, type FailurePlan, type MmAttemptOutcome } from './failure-policy.ts';
import { stripsMmOnlyFields } from './decide-route.ts';

const base: RouteInput = { endpoint: 'messages', mmRouting: true, isTemplate: true, cached: 'unknown' };

describe('decideRoute', () => {
  it.each<[string, Partial<RouteInput>, string, string]>([
    ['direct /marketing_messages goes to MM only', { endpoint: 'marketing_messages', mmRouting: false, isTemplate: false }, 'mm_only', 'direct'],
    ['an opted-out stack goes to Cloud', { mmRouting: false, cached: 'marketing' }, 'cloud', 'routing_disabled'],
    ['a non-template goes to Cloud', { isTemplate: false, cached: 'marketing' }, 'cloud', 'not_template'],
    ['known marketing goes to MM', { cached: 'marketing' }, 'mm_with_fallback', 'cached_marketing'],
    ['known non-marketing goes to Cloud', { cached: 'non_marketing' }, 'cloud', 'cached_non_marketing'],
    ['unknown is checked', { cached: 'unknown' }, 'checked', 'checked'],
    ['an unreadable cache is checked', { cached: 'unavailable' }, 'checked', 'checked'],
    ['a syncing template goes to Cloud without a probe', { cached: 'syncing' }, 'cloud', 'template_syncing'],
    ['a WABA the MM API refused skips the probe', { mmBlock: 'waba_unavailable' }, 'cloud', 'mm_waba_unavailable'],
    ['an open circuit skips even known marketing', { cached: 'marketing', mmBlock: 'circuit_open' }, 'cloud', 'mm_circuit_open'],
    ['known non-marketing stays the reason while MM is blocked', { cached: 'non_marketing', mmBlock: 'circuit_open' }, 'cloud', 'cached_non_marketing'],
    ['opt-out wins over everything', { mmRouting: false, mmBlock: 'circuit_open' }, 'cloud', 'routing_disabled'],
    ['/messages_encrypted passes to the Cloud API unread', { endpoint: 'messages_encrypted', cached: 'marketing' }, 'passthrough', 'encrypted'],
    ['mark-as-read and typing go to the Cloud API', { statusUpdate: true, isTemplate: false }, 'cloud', 'status_update'],
    ['mark-as-read goes to Cloud even for an opted-out stack', { statusUpdate: true, mmRouting: false }, 'cloud', 'status_update'],
    ['a group send never tries MM', { individual: false, cached: 'marketing' }, 'cloud', 'not_individual'],
    ['a group send with a max price still goes to Cloud', { individual: false, maxPrice: true }, 'cloud', 'not_individual'],
    ['a max-price send goes to MM only', { maxPrice: true }, 'mm_only', 'max_price'],
    ['a max-price send goes to MM only even with the circuit open', { maxPrice: true, mmBlock: 'circuit_open', cached: 'non_marketing' }, 'mm_only', 'max_price'],
    ['known marketing of a Cloud-marketing-off WABA goes to MM only', { cached: 'marketing', cloudMarketingOff: true }, 'mm_only', 'cloud_marketing_off'],
    ['... even while MM looks blocked (Cloud would refuse it too)', { cached: 'marketing', cloudMarketingOff: true, mmBlock: 'circuit_open' }, 'mm_only', 'cloud_marketing_off'],
    ['an unknown template of such a WABA is still checked', { cloudMarketingOff: true }, 'checked', 'checked'],
    ['known non-marketing of such a WABA goes to Cloud', { cached: 'non_marketing', cloudMarketingOff: true }, 'cloud', 'cached_non_marketing'],
  ])('%s', (_name, overrides, action, reason) => {
    expect(decideRoute({ ...base, ...overrides })).toEqual({ action, reason });
  });

  it('reads the category only for templates on /messages of an opted-in stack', () => {
    expect(needsCategory({ endpoint: 'messages', mmRouting: true, isTemplate: true })).toBe(true);
    expect(needsCategory({ endpoint: 'messages', mmRouting: false, isTemplate: true })).toBe(false);
    expect(needsCategory({ endpoint: 'messages', mmRouting: true, isTemplate: false })).toBe(false);
    expect(needsCategory({ endpoint: 'marketing_messages', mmRouting: true, isTemplate: true })).toBe(false);
    expect(needsCategory({ endpoint: 'messages_encrypted', mmRouting: true, isTemplate: true })).toBe(false);
    expect(needsCategory({ endpoint: 'messages', mmRouting: true, isTemplate: true, individual: false })).toBe(false);
    expect(needsCategory({ endpoint: 'messages', mmRouting: true, isTemplate: true, maxPrice: true })).toBe(false);
  });

  it('drops MM-only fields only on Cloud calls the gateway routed', () => {
    for (const reason of ['cached_non_marketing', 'checked_fallback', 'stale_fallback', 'mm_unavailable_fallback', 'mm_circuit_open', 'invalid_parameter_fallback']) {
      expect(stripsMmOnlyFields(reason)).toBe(true);
    }
    for (const reason of ['routing_disabled', 'status_update', 'not_template', 'not_individual', 'encrypted']) {
      expect(stripsMmOnlyFields(reason)).toBe(false);
    }
  });
});

const response = (status: number, errorCode?: number): MmAttemptOutcome => ({ kind: 'response', status, errorCode });
const probe: FailureContext = { checked: true, maxPrice: false, cloudMarketingOff: false, timeoutPolicy: 'fail' };
const cached: FailureContext = { ...probe, checked: false };

type Expect = Omit<FailurePlan, 'failure'> & { failure: FailurePlan['failure'] };

/**
 * The failure policy: one row per class of Meta answer to an MM attempt, as a
 * probe (unknown category) and as a send of a template known to be marketing.
 */
describe('planMmFailure: one row per Meta error class', () => {
  it.each<[string, MmAttemptOutcome, FailureContext, Expect]>([
    [
      '131055 not a marketing template (probe)',
      response(400, 131055),
      probe,
      { failure: 'not_marketing', fallBack: true, reason: 'checked_fallback', learnCategory: 'non_marketing', breaker: 'success', probeLesson: 'non_marketing' },
    ],
    [
      '134100 only marketing (known marketing: stale)',
      response(400, 134100),
      cached,
      { failure: 'not_marketing', fallBack: true, reason: 'stale_fallback', learnCategory: 'non_marketing', breaker: 'success', probeLesson: 'non_marketing' },
    ],
    [
      '134101 still syncing',
      response(400, 134101),
      probe,
      { failure: 'template_syncing', fallBack: true, reason: 'checked_fallback', learnCategory: 'syncing', breaker: 'success', probeLesson: 'syncing' },
    ],
    [
      '134102 WABA unavailable (HTTP 500, classified by code)',
      response(500, 134102),
      cached,
      { failure: 'waba_unavailable', fallBack: true, reason: 'mm_unavailable_fallback', learnWaba: 'mm_unavailable', breaker: 'success', probeLesson: 'fallback' },
    ],
    [
      '131063 marketing off on the Cloud API',
      response(400, 131063),
      probe,
      { failure: 'cloud_marketing_off', fallBack: false, reason: 'cloud_marketing_off', learnWaba: 'cloud_marketing_off', breaker: 'success', probeLesson: 'none' },
    ],
    [
      "100 invalid parameter: fall back for Cloud's own answer, learn nothing",
      response(400, 100),
      probe,
      { failure: 'invalid_parameter', fallBack: true, reason: 'invalid_parameter_fallback', breaker: 'success', probeLesson: 'none' },
    ],
    [
      '100 on a known marketing template: the same',
      response(400, 100),
      cached,
      { failure: 'invalid_parameter', fallBack: true, reason: 'invalid_parameter_fallback', breaker: 'success', probeLesson: 'none' },
    ],
    [
      '131049 per-user marketing limit: answered as given',
      response(400, 131049),
      probe,
      { failure: 'pass_through', fallBack: false, reason: 'mm_pass_through', breaker: 'success', probeLesson: 'none' },
    ],
    [
      '131056 pair rate limit: answered as given',
      response(400, 131056),
      cached,
      { failure: 'pass_through', fallBack: false, reason: 'mm_pass_through', breaker: 'success', probeLesson: 'none' },
    ],
    [
      '130429 throughput: answered as given',
      response(400, 130429),
      probe,
      { failure: 'pass_through', fallBack: false, reason: 'mm_pass_through', breaker: 'success', probeLesson: 'none' },
    ],
    [
      '131000 HTTP 500 outage',
      response(500, 131000),
      cached,
      { failure: 'outage', fallBack: true, reason: 'mm_unavailable_fallback', breaker: 'failure', probeLesson: 'fallback' },
    ],
    ['503 without a code', response(503), probe, { failure: 'outage', fallBack: true, reason: 'checked_fallback', breaker: 'failure', probeLesson: 'fallback' }],
    [
      '429 without a code (MM throttling)',
      response(429),
      cached,
      { failure: 'outage', fallBack: true, reason: 'mm_unavailable_fallback', breaker: 'failure', probeLesson: 'fallback' },
    ],
    [
      'connection refused before sending',
      { kind: 'not_sent' },
      cached,
      { failure: 'outage', fallBack: true, reason: 'mm_unavailable_fallback', breaker: 'failure', probeLesson: 'fallback' },
    ],
    [
      '131009 other request error',
      response(400, 131009),
      probe,
      { failure: 'other_error', fallBack: true, reason: 'checked_fallback', breaker: 'success', probeLesson: 'fallback' },
    ],
    ['190 token error', response(401, 190), cached, { failure: 'other_error', fallBack: true, reason: 'mm_unavailable_fallback', breaker: 'success', probeLesson: 'fallback' }],
    [
      'timeout under the fail policy: no second send',
      { kind: 'timeout' },
      probe,
      { failure: 'ambiguous', fallBack: false, reason: 'mm_timeout', breaker: 'failure', probeLesson: 'fallback' },
    ],
    [
      'timeout under the fallback policy',
      { kind: 'timeout' },
      { ...cached, timeoutPolicy: 'fallback' },
      { failure: 'ambiguous', fallBack: true, reason: 'mm_unavailable_fallback', breaker: 'failure', probeLesson: 'fallback' },
    ],
    [
      'max price: an outage never falls back',
      response(503),
      { ...cached, maxPrice: true },
      { failure: 'outage', fallBack: false, reason: 'max_price', breaker: 'failure', probeLesson: 'fallback' },
    ],
    [
      'max price: not marketing still learned, never falls back',
      response(400, 134100),
      { ...cached, maxPrice: true },
      { failure: 'not_marketing', fallBack: false, reason: 'max_price', learnCategory: 'non_marketing', breaker: 'success', probeLesson: 'non_marketing' },
    ],
    [
      'max price: a 131049 stays a pass-through',
      response(400, 131049),
      { ...cached, maxPrice: true },
      { failure: 'pass_through', fallBack: false, reason: 'mm_pass_through', breaker: 'success', probeLesson: 'none' },
    ],
    [
      'Cloud marketing off: an outage does not fall back',
      response(500, 131000),
      { ...cached, cloudMarketingOff: true },
      { failure: 'outage', fallBack: false, reason: 'cloud_marketing_off', breaker: 'failure', probeLesson: 'fallback' },
    ],
    [
      'Cloud marketing off: a template that is not marketing may still fall back',
      response(400, 134100),
      { ...cached, cloudMarketingOff: true },
      { failure: 'not_marketing', fallBack: true, reason: 'stale_fallback', learnCategory: 'non_marketing', breaker: 'success', probeLesson: 'non_marketing' },
    ],
  ])('%s', (_name, outcome, context, expected) => {
    expect(planMmFailure(outcome, context)).toEqual(expected);
  });

  it('never teaches the category cache from code 100, whatever the context', () => {
    for (const checked of [true, false]) {
      for (const maxPrice of [true, false]) {
        const plan = planMmFailure(response(400, 100), { checked, maxPrice, cloudMarketingOff: false, timeoutPolicy: 'fallback' });
        expect(plan.learnCategory).toBeUndefined();
        expect(plan.probeLesson).toBe('none');
      }
    }
  });

  it('labels a pass-through on a probe by what happened, not checked_fallback', () => {
    expect(planMmFailure(response(400, 131049), probe).reason).toBe('mm_pass_through');
  });
});

describe('learnFromCloudAnswer', () => {
  it('learns Cloud marketing off from 131063 only', () => {
    expect(learnFromCloudAnswer(131063)).toBe('cloud_marketing_off');
    expect(learnFromCloudAnswer(131061)).toBeUndefined();
    expect(learnFromCloudAnswer(undefined)).toBeUndefined();
  });
});
