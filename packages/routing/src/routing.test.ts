import { describe, expect, it } from 'vitest';
import { decideRoute, needsCategory, type RouteInput } from './decide-route.ts';
import { classifyMmFailure, fallsBack, type MmAttemptOutcome, type MmFailureClass } from './classify-mm-failure.ts';

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
  ])('%s', (_name, overrides, action, reason) => {
    expect(decideRoute({ ...base, ...overrides })).toEqual({ action, reason });
  });

  it('reads the category only for templates on /messages of an opted-in stack', () => {
    expect(needsCategory({ endpoint: 'messages', mmRouting: true, isTemplate: true })).toBe(true);
    expect(needsCategory({ endpoint: 'messages', mmRouting: false, isTemplate: true })).toBe(false);
    expect(needsCategory({ endpoint: 'messages', mmRouting: true, isTemplate: false })).toBe(false);
    expect(needsCategory({ endpoint: 'marketing_messages', mmRouting: true, isTemplate: true })).toBe(false);
  });
});

describe('classifyMmFailure', () => {
  it.each<[MmAttemptOutcome, MmFailureClass]>([
    [{ kind: 'response', status: 400, errorCode: 100 }, 'not_marketing'],
    [{ kind: 'response', status: 400, errorCode: 131055 }, 'not_marketing'],
    [{ kind: 'response', status: 400, errorCode: 134100 }, 'not_marketing'],
    [{ kind: 'response', status: 400, errorCode: 134101 }, 'template_syncing'],
    [{ kind: 'response', status: 500, errorCode: 134102 }, 'waba_unavailable'],
    [{ kind: 'response', status: 400, errorCode: 131056 }, 'pass_through'],
    [{ kind: 'response', status: 400, errorCode: 130429 }, 'pass_through'],
    [{ kind: 'response', status: 500, errorCode: 131000 }, 'outage'],
    [{ kind: 'response', status: 503 }, 'outage'],
    [{ kind: 'response', status: 502, errorCode: 2 }, 'outage'],
    [{ kind: 'response', status: 429 }, 'outage'],
    [{ kind: 'response', status: 400, errorCode: 131009 }, 'other_error'],
    [{ kind: 'response', status: 401, errorCode: 190 }, 'other_error'],
    [{ kind: 'response', status: 404, errorCode: 132001 }, 'other_error'],
    [{ kind: 'not_sent' }, 'outage'],
    [{ kind: 'timeout' }, 'ambiguous'],
  ])('classifies %j as %s', (outcome, expected) => {
    expect(classifyMmFailure(outcome)).toBe(expected);
  });
});

describe('fallsBack', () => {
  it.each<[MmFailureClass, 'fail' | 'fallback', boolean]>([
    ['not_marketing', 'fail', true],
    ['template_syncing', 'fail', true],
    ['waba_unavailable', 'fail', true],
    ['outage', 'fail', true],
    ['other_error', 'fail', true],
    ['pass_through', 'fallback', false],
    ['ambiguous', 'fail', false],
    ['ambiguous', 'fallback', true],
  ])('%s under timeout policy %s -> %s', (failure, policy, expected) => {
    expect(fallsBack(failure, policy)).toBe(expected);
  });
});
