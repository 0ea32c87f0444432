import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { AuditStore } from '@gw/audit';
import { tenantOf, type StackDirectory } from '@gw/config';
import type { CategoryCache, TemplateOwners } from '@gw/category-cache';
import { webhookDeliveryJobId, jobOf, JOBS, webhookInboundJobSchema, type WebhookDeliveryJob, type WebhookInboundJob } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { auditEventsOf, auditWamids } from './audit-events.ts';
import { enrichStatuses, statusWamids } from './enrich-statuses.ts';
import { isObject, type Envelope } from './envelope.ts';
import { inboundMediaIds, type InboundMediaOwnership } from './inbound-media.ts';
import type { LedgerLookup } from './ledger-lookup.ts';
import { splitEnvelope, type EnvelopePart, type StackIndex } from './split-envelope.ts';
import { applyCategoryActions, applyTemplateIds, categoryActions, templateIdsOf } from './template-learning.ts';

export interface InboundProcessorDeps {
  stacks: StackDirectory;
  ledger: Pick<LedgerLookup, 'read'>;
  categories: Pick<CategoryCache, 'write' | 'evict'>;
  deliveries: Pick<Queue, 'addBulk'>;
  /** One first try plus the retry schedule. */
  deliveryAttempts: number;
  /** Records which stack may fetch the media ids of inbound messages; absent: none recorded. */
  media?: Pick<InboundMediaOwnership, 'record'>;
  /** Remembers the template ids template webhooks name, for the Graph pass-through's tenancy; absent: none. */
  templateOwners?: Pick<TemplateOwners, 'remember' | 'forget'>;
  /** Where statuses and clicks are recorded for the per-message audit and the route analytics. */
  audit?: Pick<AuditStore, 'record'>;
  logger: Logger;
}

export interface InboundResult {
  deliveries: string[];
  enriched: number;
}

/** Asks the directory on every call: stacks can change at run time (admin API). */
export function stackIndex(stacks: StackDirectory): StackIndex {
  return { byPhoneNumberId: (id) => stacks.byPhoneNumberId(id), byWabaId: (id) => stacks.byWabaId(id) };
}

function parseEnvelope(body: string): Envelope | string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'the webhook body is not valid JSON';
  }
  if (!isObject(json) || !Array.isArray(json.entry)) return 'the webhook body is not an envelope with an entry array';
  return json;
}

/**
 * Turns one webhook from Meta into deliveries: enriches MM statuses from the
 * send ledger, teaches the category cache, splits by stack and queues one
 * delivery per stack, then records the statuses and clicks in the audit. Delivery
 * ids derive from this job's id and the audit counts each (wamid, status) once, so a
 * re-run (a failed audit write fails the job, which retries) queues and counts nothing twice.
 */
export function createWebhookInboundProcessor(deps: InboundProcessorDeps) {
  const index = stackIndex(deps.stacks);

  return async function processInbound(job: Job): Promise<InboundResult> {
    const parsed = webhookInboundJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed inbound webhook job');
    const inbound = parsed.data;
    const log = deps.logger.child({ inboundJobId: job.id });

    const envelope = parseEnvelope(inbound.body);
    if (typeof envelope === 'string') {
      const unroutable: EnvelopePart = { target: 'unroutable', envelope: {}, kinds: ['unknown'], changeCount: 0 };
      log.warn({ reason: envelope }, 'unreadable webhook parked');
      return { deliveries: await queue(job.id!, inbound, [{ part: unroutable, body: inbound.body, unroutable: envelope }]), enriched: 0 };
    }

    // One MGET of the send ledger per webhook: the enrichment's lines and the audit's, which record() takes as read.
    const ledger = await deps.ledger.read(deps.audit ? [...new Set([...statusWamids(envelope), ...auditWamids(envelope)])] : statusWamids(envelope));
    const enriched = enrichStatuses(envelope, ledger);
    await applyCategoryActions(categoryActions(envelope), deps.categories, log);
    if (deps.templateOwners) await applyTemplateIds(templateIdsOf(envelope), deps.templateOwners);
    const { parts, totalChanges } = splitEnvelope(envelope, index);
    // Before the deliveries: a client that reads the webhook can fetch its media at once.
    if (deps.media) await deps.media.record(mediaOwners(parts));
    // Untouched and all for one stack: forward Meta's exact bytes.
    const whole = parts.length === 1 && parts[0]!.changeCount === totalChanges && enriched === 0;
    const planned = parts.map((part) => ({
      part,
      body: whole ? inbound.body : JSON.stringify(part.envelope),
      unroutable: part.target === 'unroutable' ? "the change carries no phone number id and its entry id matches no stack's WABA" : undefined,
    }));
    const ids = await queue(job.id!, inbound, planned);
    // After the deliveries: the client's webhooks never wait for the audit.
    const events = deps.audit ? auditEventsOf(parts, inbound.receivedAt, tenantOfStack) : [];
    if (events.length) await deps.audit!.record(events, ledger);
    log.info({ deliveries: ids.length, changes: totalChanges, enriched }, 'webhook split into deliveries');
    return { deliveries: ids, enriched };
  };

  function tenantOfStack(stackId: string): string | undefined {
    const stack = deps.stacks.get(stackId);
    return stack ? tenantOf(stack) : undefined;
  }

  /** Each stack's media ids, by the tenant that may reach them. */
  function mediaOwners(parts: EnvelopePart[]): Array<{ tenant: string; mediaIds: string[] }> {
    const owned: Array<{ tenant: string; mediaIds: string[] }> = [];
    for (const part of parts) {
      if (part.target === 'unroutable' || !('stackId' in part.target)) continue;
      const stack = deps.stacks.get(part.target.stackId);
      const mediaIds = stack ? inboundMediaIds(part.envelope) : [];
      if (stack && mediaIds.length) owned.push({ tenant: tenantOf(stack), mediaIds });
    }
    return owned;
  }

  async function queue(inboundJobId: string, inbound: WebhookInboundJob, planned: Array<{ part: EnvelopePart; body: string; unroutable: string | undefined }>): Promise<string[]> {
    const jobs = planned.map(({ part, body, unroutable }) => {
      const target = part.target;
      const stackId = target !== 'unroutable' && 'stackId' in target ? target.stackId : null;
      const stackUid = stackId ? deps.stacks.get(stackId)?.uid : undefined;
      const data: WebhookDeliveryJob = {
        stackId,
        ...(stackUid ? { stackUid } : {}),
        phoneNumberId: target !== 'unroutable' && 'phoneNumberId' in target ? target.phoneNumberId : null,
        body,
        kinds: part.kinds,
        inboundJobId,
        receivedAt: inbound.receivedAt,
        ...(unroutable ? { unroutable } : {}),
      };
      const jobId = webhookDeliveryJobId(inboundJobId, target);
      return { jobId, job: jobOf(JOBS.webhookDelivery, data, { attempts: deps.deliveryAttempts }, { jobId }) };
    });
    if (jobs.length) await deps.deliveries.addBulk(jobs.map((j) => j.job));
    return jobs.map((j) => j.jobId);
  }
}
