import type { AuditEvent, ClickAuditEvent, StatusAuditEvent } from '@gw/audit';
import { eachChange, isObject, valueOf, type Envelope, type Json } from './envelope.ts';
import type { EnvelopePart } from './split-envelope.ts';

const CLICK_ACTION = 'marketing_messages_link_click';

/** The message a click names, when Meta's payload ties it to one (the documented payload does not). */
function clickWamid(action: Json): string | undefined {
  const context = isObject(action.context) ? action.context : undefined;
  for (const candidate of [action.wamid, action.message_id, context?.id]) if (typeof candidate === 'string' && candidate.length > 0) return candidate;
  return undefined;
}

interface Owner {
  stackId: string;
  tenant: string;
}

function statusEvent({ stackId, tenant }: Owner, status: Json, at: number): StatusAuditEvent | undefined {
  if (typeof status.id !== 'string' || typeof status.status !== 'string') return undefined;
  return {
    kind: 'status',
    stackId,
    tenant,
    wamid: status.id,
    at,
    status: status.status,
    ...(typeof status.timestamp === 'string' ? { timestamp: status.timestamp } : {}),
    ...(Array.isArray(status.errors) ? { errors: status.errors as unknown[] } : {}),
    ...(isObject(status.pricing) ? { pricing: status.pricing } : {}),
  };
}

function clickEvent({ stackId, tenant }: Owner, action: Json, at: number): ClickAuditEvent | undefined {
  if (action.action_type !== CLICK_ACTION) return undefined;
  const data = isObject(action[`${CLICK_ACTION}_data`]) ? (action[`${CLICK_ACTION}_data`] as Json) : {};
  const wamid = clickWamid(action);
  return {
    kind: 'click',
    stackId,
    tenant,
    at,
    ...(wamid ? { wamid } : {}),
    ...(typeof data.click_id === 'string' ? { clickId: data.click_id } : {}),
    data: { ...data, ...(typeof action.timestamp === 'string' ? { timestamp: action.timestamp } : {}) },
  };
}

/**
 * The audit's events in one webhook, by the stack each part was split for: every status
 * (sent, delivered, read, failed with its errors, pricing as given) and every MM link
 * click. Changes no stack owns are not audited. `at`: when the gateway received the webhook.
 * `tenantOf`: the tenant of the stack a part was split for (undefined: the stack is gone, not audited).
 */
export function auditEventsOf(parts: EnvelopePart[], at: number, tenantOf: (stackId: string) => string | undefined): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const { target, envelope } of parts) {
    if (target === 'unroutable' || !('stackId' in target)) continue;
    const tenant = tenantOf(target.stackId);
    if (tenant === undefined) continue;
    const owner = { stackId: target.stackId, tenant };
    for (const { change } of eachChange(envelope)) {
      const value = valueOf(change);
      if (!value) continue;
      for (const status of Array.isArray(value.statuses) ? value.statuses.filter(isObject) : []) {
        const event = statusEvent(owner, status, at);
        if (event) events.push(event);
      }
      for (const action of Array.isArray(value.user_actions) ? value.user_actions.filter(isObject) : []) {
        const event = clickEvent(owner, action, at);
        if (event) events.push(event);
      }
    }
  }
  return events;
}

/**
 * The wamids whose send ledger lines the audit needs: every status's and every click's that names one.
 * Read with the enrichment's in one MGET, before the split (which only divides the same changes).
 */
export function auditWamids(envelope: Envelope): string[] {
  const wamids = new Set<string>();
  for (const { change } of eachChange(envelope)) {
    const value = valueOf(change);
    if (!value) continue;
    for (const status of Array.isArray(value.statuses) ? value.statuses.filter(isObject) : []) if (typeof status.id === 'string') wamids.add(status.id);
    for (const action of Array.isArray(value.user_actions) ? value.user_actions.filter(isObject) : []) {
      const wamid = action.action_type === CLICK_ACTION ? clickWamid(action) : undefined;
      if (wamid) wamids.add(wamid);
    }
  }
  return [...wamids];
}
