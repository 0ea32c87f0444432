import type { Logger } from '@gw/logger';
import type { Stack, StackDirectory } from '@gw/config';
import { gatewayErrors, templateOf, type RouteReason, type SendItem, type SendResult, type TemplateRef } from '@gw/contracts';
import type { CategoryCache } from '@gw/category-cache';
import type { MetaCallResult, MetaClient, MetaEndpoint } from '@gw/meta-client';
import {
  classifyMmFailure,
  decideRoute,
  fallsBack,
  needsCategory,
  type CachedCategory,
  type KeyedCircuitBreaker,
  type MmAttemptOutcome,
  type MmBlock,
  type MmFailureClass,
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

/** One call to Meta made by a send, for its log line. */
export interface MetaCallTiming {
  endpoint: MetaEndpoint;
  ms: number;
  status: number | string;
}

interface SendContext {
  stack: Stack;
  payload: Record<string, unknown>;
  log: Logger;
  calls: MetaCallTiming[];
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

const PROBE_OUTCOME: Partial<Record<MmFailureClass, ProbeOutcome>> = {
  not_marketing: 'non_marketing',
  template_syncing: 'syncing',
};

/** Carries out the README's routing rules for one send job and returns the one answer. */
export class SendService {
  constructor(private readonly deps: SendServiceDeps) {}

  /** `calls` collects the timing of each call to Meta the send made. */
  async send(item: SendItem, log: Logger, calls: MetaCallTiming[] = []): Promise<SendResult> {
    const stack = this.deps.stacks.get(item.stackId);
    if (!stack) return { ...gatewayErrors.unauthenticated(), route: 'none', reason: 'gateway_error' };
    try {
      return await this.route({ stack, payload: item.payload, log, calls }, item);
    } catch (error) {
      if (!(error instanceof PacingRejected)) throw error;
      return { ...gatewayErrors.throughputExceeded(error.phoneNumberId, error.maxWaitMs), route: 'none', reason: 'paced' };
    }
  }

  private async route(ctx: SendContext, item: SendItem): Promise<SendResult> {
    const { stack } = ctx;
    const template = templateOf(item.payload);
    const facts = { endpoint: item.endpoint, mmRouting: stack.mmRouting, isTemplate: template !== undefined };
    let cached: CachedCategory = 'unknown';
    let mmBlock: MmBlock = 'none';
    if (template && needsCategory(facts)) {
      cached = await this.deps.categories.read(stack.wabaId, template);
      if (cached !== 'non_marketing' && cached !== 'syncing') mmBlock = await this.mmBlock(stack.wabaId);
    }
    const decision = decideRoute({ ...facts, cached, mmBlock });

    switch (decision.action) {
      case 'mm_only':
        return this.finish('marketing_messages', await this.call(ctx, 'marketing_messages'), 'direct');
      case 'cloud':
        return this.sendCloud(ctx, decision.reason);
      case 'mm_with_fallback':
        return (await this.tryMarketingFirst(ctx, template!, false)).result;
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
        return this.sendCloud(ctx, 'cached_non_marketing');
      case 'syncing':
        return this.sendCloud(ctx, 'template_syncing');
      case 'fallback':
        return this.sendCloud(ctx, 'mm_unavailable_fallback');
    }
  }

  private async tryMarketingFirst(ctx: SendContext, template: TemplateRef, checked: boolean): Promise<{ result: SendResult; outcome: ProbeOutcome }> {
    const wabaId = ctx.stack.wabaId;
    const mm = await this.call(ctx, 'marketing_messages');
    if (isSuccess(mm)) {
      this.deps.breaker.success(wabaId);
      if (checked) await this.learn(ctx, template, 'marketing');
      const result = this.finish('marketing_messages', mm, checked ? 'checked_accepted' : 'cached_marketing');
      return { result, outcome: 'marketing' };
    }
    const failure = classifyMmFailure(outcomeOf(mm));
    const mmErrorCode = mm.kind === 'response' ? mm.errorCode : undefined;
    ctx.log.info({ failure, mmErrorCode, mmStatus: mm.kind === 'response' ? mm.status : mm.kind }, 'MM attempt failed');
    await this.remember(ctx, template, failure);
    const outcome = PROBE_OUTCOME[failure] ?? 'fallback';

    if (!fallsBack(failure, this.deps.timeoutPolicy)) {
      const reason: RouteReason = failure === 'ambiguous' ? 'mm_timeout' : checked ? 'checked_fallback' : 'cached_marketing';
      return { result: { ...(this.finish('marketing_messages', mm, reason)), mmErrorCode }, outcome };
    }
    const reason: RouteReason = checked ? 'checked_fallback' : failure === 'not_marketing' ? 'stale_fallback' : 'mm_unavailable_fallback';
    return { result: { ...(await this.sendCloud(ctx, reason)), mmErrorCode }, outcome };
  }

  /** Learn only from answers that mean something about the template or the WABA. */
  private async remember(ctx: SendContext, template: TemplateRef, failure: MmFailureClass): Promise<void> {
    const wabaId = ctx.stack.wabaId;
    if (failure === 'outage' || failure === 'ambiguous') this.deps.breaker.failure(wabaId);
    else this.deps.breaker.success(wabaId);
    if (failure === 'not_marketing') await this.learn(ctx, template, 'non_marketing');
    if (failure === 'template_syncing') await this.learn(ctx, template, 'syncing', this.deps.syncingRetrySeconds);
    if (failure === 'waba_unavailable') {
      await this.deps.categories.markMmUnavailable(wabaId, this.deps.wabaCooldownSeconds).catch((error: unknown) => {
        ctx.log.warn({ err: error }, 'could not remember that the MM API refused this WABA');
      });
    }
  }

  private async sendCloud(ctx: SendContext, reason: RouteReason): Promise<SendResult> {
    return this.finish('messages', await this.call(ctx, 'messages'), reason);
  }

  /** Every call to Meta takes a pacing slot of the phone number first. */
  private async call(ctx: SendContext, endpoint: MetaEndpoint): Promise<MetaCallResult> {
    const { phoneNumberId, messagesPerSecond, accessToken } = ctx.stack;
    await this.deps.pacer.acquire(phoneNumberId, messagesPerSecond);
    const result = await this.deps.meta.send(endpoint, phoneNumberId, accessToken, ctx.payload);
    ctx.calls.push({ endpoint, ms: result.ms, status: result.kind === 'response' ? result.status : result.kind });
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
