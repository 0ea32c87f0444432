import type { Logger } from '@gw/logger';
import type { Stack, StackDirectory } from '@gw/config';
import {
  gatewayErrors,
  hasMaxPrice,
  isIndividual,
  isStatusUpdate,
  templateOf,
  withoutMmOnlyFields,
  type RouteReason,
  type SendItem,
  type SendResult,
  type TemplateRef,
} from '@gw/contracts';
import type { CategoryCache } from '@gw/category-cache';
import type { MetaCallResult, MetaClient, MetaEndpoint } from '@gw/meta-client';
import {
  decideRoute,
  learnFromCloudAnswer,
  needsCategory,
  planMmFailure,
  stripsMmOnlyFields,
  type CachedCategory,
  type FailurePlan,
  type KeyedCircuitBreaker,
  type MmAttemptOutcome,
  type MmBlock,
  type ProbeLesson,
} from '@gw/routing';
import type { ProbeCoordinator, ProbeOutcome } from './probe-coordinator.ts';
import { PacingRejected, type Pacer } from './pacer.ts';

export interface SendServiceDeps {
  stacks: StackDirectory;
  meta: MetaClient;
  categories: CategoryCache;
  probes: ProbeCoordinator;
  breaker: KeyedCircuitBreaker;
  pacer: Pacer;
  timeoutPolicy: 'fail' | 'fallback';
  /** How long a WABA the MM API refused (134102) skips MM. */
  wabaCooldownSeconds: number;
  /** How long a "still syncing" template goes straight to Cloud before MM is tried again. */
  syncingRetrySeconds: number;
}

/** One call to Meta made by a send, for its log line and its audit entry. */
export interface MetaCallTiming {
  endpoint: MetaEndpoint;
  ms: number;
  /** The HTTP status, or `timeout` / `not_sent` when Meta gave none. */
  status: number | string;
  /** Meta's error code of a refused call. */
  errorCode?: number;
}

interface SendContext {
  stack: Stack;
  payload: Record<string, unknown>;
  log: Logger;
  calls: MetaCallTiming[];
  /** The send carries `bid_spec`: never to the Cloud API. */
  maxPrice: boolean;
  /** The WABA turned marketing off on the Cloud API (read only for templates that may go to MM). */
  cloudMarketingOff: boolean;
}

const isSuccess = (call: MetaCallResult) => call.kind === 'response' && call.status >= 200 && call.status < 300;

function outcomeOf(call: MetaCallResult): MmAttemptOutcome {
  if (call.kind === 'response') return { kind: 'response', status: call.status, errorCode: call.errorCode };
  return { kind: call.kind };
}

function wamidOf(body: unknown): string | undefined {
  const id = (body as { messages?: Array<{ id?: unknown }> } | null)?.messages?.[0]?.id;
  return typeof id === 'string' ? id : undefined;
}

const PROBE_OUTCOME: Record<ProbeLesson, ProbeOutcome | undefined> = {
  non_marketing: 'non_marketing',
  syncing: 'syncing',
  fallback: 'fallback',
  none: undefined,
};

const resultOf = (attempt: { result: SendResult }) => attempt.result;

/** A send the pacer refused (it would have waited too long for its number's turn) is answered 131056; anything else is thrown on. */
function pacedAnswer(error: unknown): SendResult {
  if (!(error instanceof PacingRejected)) throw error;
  return { ...gatewayErrors.throughputExceeded(error.phoneNumberId, error.maxWaitMs), route: 'none', reason: 'paced' };
}

/** Carries out the README's routing rules for one send job and returns the one answer. */
export class SendService {
  constructor(private readonly deps: SendServiceDeps) {}

  /** `calls` collects the timing of each call to Meta the send made. Not async itself: a send in flight holds one frame less. */
  send(item: SendItem, log: Logger, calls: MetaCallTiming[] = []): Promise<SendResult> {
    const stack = this.deps.stacks.get(item.stackId);
    if (!stack) return Promise.resolve({ ...gatewayErrors.unauthenticated(), route: 'none', reason: 'gateway_error' });
    const maxPrice = hasMaxPrice(item.payload);
    return this.route({ stack, payload: item.payload, log, calls, maxPrice, cloudMarketingOff: false }, item).catch(pacedAnswer);
  }

  private async route(ctx: SendContext, item: SendItem): Promise<SendResult> {
    const { stack } = ctx;
    const template = templateOf(item.payload);
    const facts = {
      endpoint: item.endpoint,
      mmRouting: stack.mmRouting,
      isTemplate: template !== undefined,
      statusUpdate: isStatusUpdate(item.payload),
      individual: isIndividual(item.payload),
      maxPrice: ctx.maxPrice,
    };
    let cached: CachedCategory = 'unknown';
    let mmBlock: MmBlock = 'none';
    if (template && needsCategory(facts)) {
      cached = await this.deps.categories.read(stack.wabaId, template);
      if (cached !== 'non_marketing' && cached !== 'syncing') {
        [mmBlock, ctx.cloudMarketingOff] = await Promise.all([this.mmBlock(stack.wabaId), cached === 'marketing' ? this.deps.categories.isCloudMarketingOff(stack.wabaId) : false]);
      }
    }
    const decision = decideRoute({ ...facts, cached, mmBlock, cloudMarketingOff: ctx.cloudMarketingOff });

    switch (decision.action) {
      case 'mm_only':
        if (decision.reason === 'direct') return this.callOnly(ctx, 'marketing_messages', 'direct');
        // Max price or Cloud marketing off: MM is the only way, so its answer is the answer.
        return this.tryMarketingFirst(ctx, template!, false, decision.reason).then(resultOf);
      case 'passthrough':
        return this.callOnly(ctx, 'messages_encrypted', decision.reason);
      case 'cloud':
        return this.sendCloud(ctx, decision.reason, template);
      case 'mm_with_fallback':
        // Not awaited here: the attempt's promise becomes this one's, and this frame ends while Meta answers.
        return this.tryMarketingFirst(ctx, template!, false).then(resultOf);
      case 'checked':
        return this.checked(ctx, template!);
    }
  }

  private async mmBlock(wabaId: string): Promise<MmBlock> {
    if (await this.deps.categories.isMmUnavailable(wabaId)) return 'waba_unavailable';
    return this.deps.breaker.allows(wabaId) ? 'none' : 'circuit_open';
  }

  /** Unknown category: one probe per template at a time; concurrent sends follow its outcome. */
  private async checked(ctx: SendContext, template: TemplateRef): Promise<SendResult> {
    const run = await this.deps.probes.run(ctx.stack.wabaId, template, () => this.tryMarketingFirst(ctx, template, true));
    if (run.kind === 'probed') return run.result;
    switch (run.outcome) {
      case 'marketing':
        return (await this.tryMarketingFirst(ctx, template, false)).result;
      case 'non_marketing':
        return this.sendCloud(ctx, 'cached_non_marketing', template);
      case 'syncing':
        return this.sendCloud(ctx, 'template_syncing', template);
      case 'fallback':
        return this.sendCloud(ctx, 'mm_unavailable_fallback', template);
    }
  }

  /**
   * The MM attempt and, on failure, whatever the failure policy plans. `onlyMm`
   * names why no fallback is possible at all (max price, Cloud marketing off).
   */
  private async tryMarketingFirst(
    ctx: SendContext,
    template: TemplateRef,
    checked: boolean,
    onlyMm?: 'max_price' | 'cloud_marketing_off',
  ): Promise<{ result: SendResult; outcome: ProbeOutcome | undefined }> {
    const wabaId = ctx.stack.wabaId;
    const mm = await this.call(ctx, 'marketing_messages');
    if (isSuccess(mm)) {
      this.deps.breaker.success(wabaId);
      if (checked) await this.learn(ctx, template, 'marketing');
      const result = this.finish('marketing_messages', mm, onlyMm ?? (checked ? 'checked_accepted' : 'cached_marketing'));
      return { result, outcome: 'marketing' };
    }
    const plan = planMmFailure(outcomeOf(mm), {
      checked,
      maxPrice: ctx.maxPrice,
      cloudMarketingOff: ctx.cloudMarketingOff,
      timeoutPolicy: this.deps.timeoutPolicy,
    });
    const mmErrorCode = mm.kind === 'response' ? mm.errorCode : undefined;
    ctx.log.info({ failure: plan.failure, mmErrorCode, mmStatus: mm.kind === 'response' ? mm.status : mm.kind, plan: plan.reason }, 'MM attempt failed');
    await this.carryOut(ctx, template, plan);
    const outcome = PROBE_OUTCOME[plan.probeLesson];
    if (!plan.fallBack) return { result: { ...this.finish('marketing_messages', mm, plan.reason), mmErrorCode }, outcome };
    return { result: { ...(await this.sendCloud(ctx, plan.reason, template)), mmErrorCode }, outcome };
  }

  /** What the failure policy says to remember: the breaker, the template's category, the WABA. */
  private async carryOut(ctx: SendContext, template: TemplateRef, plan: FailurePlan): Promise<void> {
    const wabaId = ctx.stack.wabaId;
    if (plan.breaker === 'failure') this.deps.breaker.failure(wabaId);
    else this.deps.breaker.success(wabaId);
    if (plan.learnCategory === 'non_marketing') await this.learn(ctx, template, 'non_marketing');
    if (plan.learnCategory === 'syncing') await this.learn(ctx, template, 'syncing', this.deps.syncingRetrySeconds);
    if (plan.learnWaba === 'mm_unavailable') {
      await this.deps.categories.markMmUnavailable(wabaId, this.deps.wabaCooldownSeconds).catch((error: unknown) => {
        ctx.log.warn({ err: error }, 'could not remember that the MM API refused this WABA');
      });
    }
    if (plan.learnWaba === 'cloud_marketing_off') await this.learnCloudMarketingOff(ctx);
  }

  private async learnCloudMarketingOff(ctx: SendContext): Promise<void> {
    await this.deps.categories.setCloudMarketingOff(ctx.stack.wabaId, true).catch((error: unknown) => {
      ctx.log.warn({ err: error }, 'could not remember that this WABA turned marketing off on the Cloud API');
    });
  }

  /**
   * A Cloud API send. Routed sends of an individual template lose MM-only fields
   * first; a 131063 answer teaches that the WABA turned Cloud marketing off and
   * that the template is marketing (the Cloud API refuses only those).
   */
  private async sendCloud(ctx: SendContext, reason: RouteReason, template?: TemplateRef): Promise<SendResult> {
    const payload = stripsMmOnlyFields(reason) ? withoutMmOnlyFields(ctx.payload) : ctx.payload;
    const cloud = await this.call(ctx, 'messages', payload);
    if (cloud.kind === 'response' && learnFromCloudAnswer(cloud.errorCode) === 'cloud_marketing_off') {
      await this.learnCloudMarketingOff(ctx);
      if (template && ctx.stack.mmRouting) await this.learn(ctx, template, 'marketing');
    }
    return this.finish('messages', cloud, reason);
  }

  /** One call whose answer is the send's answer (returned, not awaited: the caller's frame ends while Meta answers). */
  private callOnly(ctx: SendContext, endpoint: MetaEndpoint, reason: RouteReason): Promise<SendResult> {
    return this.call(ctx, endpoint).then((call) => this.finish(endpoint, call, reason));
  }

  /** Every call to Meta takes a pacing slot of the phone number first. */
  private async call(ctx: SendContext, endpoint: MetaEndpoint, payload = ctx.payload): Promise<MetaCallResult> {
    const { phoneNumberId, messagesPerSecond, accessToken } = ctx.stack;
    await this.deps.pacer.acquire(phoneNumberId, messagesPerSecond);
    const result = await this.deps.meta.send(endpoint, phoneNumberId, accessToken, payload);
    ctx.calls.push(
      result.kind === 'response'
        ? { endpoint, ms: result.ms, status: result.status, ...(result.errorCode !== undefined ? { errorCode: result.errorCode } : {}) }
        : { endpoint, ms: result.ms, status: result.kind },
    );
    if (result.kind === 'response' && result.errorCode === 130429) await this.deps.pacer.backOff(phoneNumberId);
    return result;
  }

  /** A failed cache write must not fail the send: the next send simply checks again. */
  private async learn(ctx: SendContext, template: TemplateRef, category: 'marketing' | 'non_marketing' | 'syncing', ttlSeconds?: number) {
    try {
      await this.deps.categories.write(ctx.stack.wabaId, template, category, 'learned', ttlSeconds);
    } catch (error) {
      ctx.log.warn({ err: error, template: template.name }, 'could not cache template category');
    }
  }

  private finish(endpoint: MetaEndpoint, call: MetaCallResult, reason: RouteReason): SendResult {
    const route = endpoint === 'marketing_messages' ? 'marketing_messages' : 'cloud_api';
    if (call.kind === 'not_sent') return { ...gatewayErrors.upstreamUnreachable(endpoint), route, reason };
    if (call.kind === 'timeout') return { ...gatewayErrors.upstreamOutcomeUnknown(endpoint, Math.round(call.ms)), route, reason };
    const wamid = isSuccess(call) ? wamidOf(call.body) : undefined;
    return { status: call.status, body: call.body, route, reason, wamid };
  }
}
