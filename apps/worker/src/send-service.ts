import type { Logger } from '@gw/logger';
import type { Stack, StackDirectory } from '@gw/config';
import { gatewayErrors, templateOf, type SendJob, type SendResult, type TemplateRef, type RouteReason } from '@gw/contracts';
import type { MetaCallResult, MetaClient, MetaEndpoint } from '@gw/meta-client';
import { classifyMmFailure, decideRoute, fallsBack, needsCategory, type MmAttemptOutcome } from '@gw/routing';
import type { CategoryCache } from '@gw/category-cache';
import type { SendLedger } from './send-ledger.ts';

export interface SendServiceDeps {
  stacks: StackDirectory;
  meta: MetaClient;
  categories: CategoryCache;
  ledger: SendLedger;
  timeoutPolicy: 'fail' | 'fallback';
}

interface SendContext {
  stack: Stack;
  payload: Record<string, unknown>;
  log: Logger;
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

/** Carries out product.md's routing rules for one send job and returns the one answer. */
export class SendService {
  constructor(private readonly deps: SendServiceDeps) {}

  async send(job: SendJob, log: Logger): Promise<SendResult> {
    const stack = this.deps.stacks.get(job.stackId);
    if (!stack) return { ...gatewayErrors.unauthenticated(), route: 'none', reason: 'gateway_error' };
    const ctx: SendContext = { stack, payload: job.payload, log };
    const template = templateOf(job.payload);
    const facts = { endpoint: job.endpoint, mmRouting: stack.mmRouting, isTemplate: template !== undefined };
    const cached = template && needsCategory(facts) ? await this.deps.categories.read(stack.wabaId, template) : 'unknown';
    const decision = decideRoute({ ...facts, cached });

    switch (decision.action) {
      case 'mm_only':
        return this.finish(ctx, 'marketing_messages', await this.call(ctx, 'marketing_messages'), 'direct');
      case 'cloud':
        return this.finish(ctx, 'messages', await this.call(ctx, 'messages'), decision.reason);
      case 'mm_with_fallback':
      case 'checked':
        return this.tryMarketingFirst(ctx, template!, decision.action === 'checked');
    }
  }

  private async tryMarketingFirst(ctx: SendContext, template: TemplateRef, checked: boolean): Promise<SendResult> {
    const mm = await this.call(ctx, 'marketing_messages');
    if (isSuccess(mm)) {
      if (checked) await this.learn(ctx, template, 'marketing');
      return this.finish(ctx, 'marketing_messages', mm, checked ? 'checked_accepted' : 'cached_marketing');
    }
    const failure = classifyMmFailure(outcomeOf(mm));
    const mmErrorCode = mm.kind === 'response' ? mm.errorCode : undefined;
    ctx.log.info({ failure, mmErrorCode, mmStatus: mm.kind === 'response' ? mm.status : mm.kind }, 'MM attempt failed');
    if (failure === 'not_marketing') await this.learn(ctx, template, 'non_marketing');

    if (!fallsBack(failure, this.deps.timeoutPolicy)) {
      const reason: RouteReason = failure === 'ambiguous' ? 'mm_timeout' : checked ? 'checked_fallback' : 'cached_marketing';
      return { ...(await this.finish(ctx, 'marketing_messages', mm, reason)), mmErrorCode };
    }
    const reason: RouteReason = checked
      ? 'checked_fallback'
      : failure === 'not_marketing'
        ? 'stale_fallback'
        : 'mm_unavailable_fallback';
    const cloud = await this.call(ctx, 'messages');
    return { ...(await this.finish(ctx, 'messages', cloud, reason)), mmErrorCode };
  }

  private call(ctx: SendContext, endpoint: MetaEndpoint): Promise<MetaCallResult> {
    return this.deps.meta.send(endpoint, ctx.stack.phoneNumberId, ctx.stack.accessToken, ctx.payload);
  }

  /** A failed cache write must not fail the send: the next send simply checks again. */
  private async learn(ctx: SendContext, template: TemplateRef, category: 'marketing' | 'non_marketing') {
    try {
      await this.deps.categories.write(ctx.stack.wabaId, template, category, 'learned');
    } catch (error) {
      ctx.log.warn({ err: error, template: template.name }, 'could not cache template category');
    }
  }

  private async finish(ctx: SendContext, endpoint: MetaEndpoint, call: MetaCallResult, reason: RouteReason): Promise<SendResult> {
    const route = endpoint === 'marketing_messages' ? 'marketing_messages' : 'cloud_api';
    if (call.kind === 'not_sent') return { ...gatewayErrors.upstreamUnreachable(endpoint), route, reason };
    if (call.kind === 'timeout') {
      return { ...gatewayErrors.upstreamOutcomeUnknown(endpoint, Math.round(call.ms)), route, reason };
    }
    const wamid = isSuccess(call) ? wamidOf(call.body) : undefined;
    if (wamid) await this.deps.ledger.record(wamid, { stackId: ctx.stack.id, route, reason }, ctx.log);
    return { status: call.status, body: call.body, route, reason, wamid };
  }
}
