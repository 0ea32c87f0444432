import type { AuditEvent, ClickAuditEvent, StatusAuditEvent } from '@gw/audit';
import { eachChange, isObject, valueOf, type Json } from './envelope.ts';
import type { EnvelopePart } from './split-envelope.ts';

const CLICK_ACTION = 'marketing_messages_link_click';

/** The message a click names, when Meta's payload ties it to one (the documented payload does not). */
function clickWamid(action: Json): string | undefined {
  const context = isObject(action.context) ? action.context : undefined;
  for (const candidate of [action.wamid, action.message_id, context?.id]) if (typeof candidate === 'string' && candidate.length > 0) return candidate;
  return undefined;
}

function statusEvent(stackId: string, status: Json, at: number): StatusAuditEvent | undefined {
  if (typeof status.id !== 'string' || typeof status.status !== 'string') return undefined;
  return {
    kind: 'status',
    stackId,
    wamid: status.id,
    at,
    status: status.status,
    ...(typeof status.timestamp === 'string' ? { timestamp: status.timestamp } : {}),
    ...(Array.isArray(status.errors) ? { errors: status.errors as unknown[] } : {}),
    ...(isObject(status.pricing) ? { pricing: status.pricing } : {}),
  };
}

function clickEvent(stackId: string, action: Json, at: number): ClickAuditEvent | undefined {
  if (action.action_type !== CLICK_ACTION) return undefined;
  const data = isObject(action[`${CLICK_ACTION}_data`]) ? (action[`${CLICK_ACTION}_data`] as Json) : {};
  const wamid = clickWamid(action);
  return {
    kind: 'click',
    stackId,
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
 */
export function auditEventsOf(parts: EnvelopePart[], at: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const { target, envelope } of parts) {
    if (target === 'unroutable' || !('stackId' in target)) continue;
    for (const { change } of eachChange(envelope)) {
      const value = valueOf(change);
      if (!value) continue;
      for (const status of Array.isArray(value.statuses) ? value.statuses.filter(isObject) : []) {
        const event = statusEvent(target.stackId, status, at);
        if (event) events.push(event);
      }
      for (const action of Array.isArray(value.user_actions) ? value.user_actions.filter(isObject) : []) {
        const event = clickEvent(target.stackId, action, at);
        if (event) events.push(event);
      }
    }
  }
  return events;
}
