import type { Request } from 'express';
import { newWamid } from '../ids.ts';
import { errors } from '../meta-errors.ts';
import type { Account } from '../state/state.ts';
import type { PricingCategory } from '../webhooks/payloads.ts';
import { authorisePhone } from './auth.ts';
import type { GraphDeps } from './deps.ts';
import { graphEndpoint, type GraphReply } from './pipeline.ts';
import { checkMarketingLimit, contacts, parseSend, templateRef, usableTemplate } from './send.ts';

/** MM API fields the Cloud API does not take (simulator README, "Meta's 2026 behaviour"). */
const MM_ONLY_FIELDS = ['product_policy', 'message_activity_sharing'] as const;

/**
 * Mark as read (and typing indicator): `status: "read"` + `message_id`, no `to`,
 * no `type`. Only messages Meta knows; the answer is `{"success":true}`.
 */
function statusUpdate(deps: GraphDeps, body: Record<string, unknown>): GraphReply {
  if (body['messaging_product'] !== 'whatsapp') {
    throw errors.invalidParameter('The parameter messaging_product is required and must be "whatsapp".');
  }
  if (body['status'] !== 'read') throw errors.invalidParameter('The parameter status must be "read".');
  const id = body['message_id'];
  if (typeof id !== 'string' || !id) throw errors.missingParameter('The parameter message_id is required.');
  const typing = body['typing_indicator'];
  if (typing !== undefined && (typeof typing !== 'object' || typing === null || (typing as { type?: unknown }).type !== 'text')) {
    throw errors.invalidParameter('The parameter typing_indicator[type] must be "text".');
  }
  if (!deps.state.messageIds.has(id)) throw errors.unknownMessage(id);
  return { status: 200, body: { success: true } };
}

/** POST /{phone_number_id}/messages: the Cloud API accepts any type, validates templates. */
export function messagesRoute(deps: GraphDeps) {
  return graphEndpoint('messages', deps, (req: Request, record) => {
    const account: Account = authorisePhone(deps.state, req, record.phoneNumberId ?? '');
    record.wabaId = account.wabaId;
    const raw = req.body as Record<string, unknown> | null;
    if (raw && typeof raw === 'object' && raw['status'] !== undefined) return statusUpdate(deps, raw);
    const send = parseSend(req.body);
    for (const field of MM_ONLY_FIELDS) {
      if (send.body[field] !== undefined) throw errors.invalidParameter(`The parameter ${field} is not supported on /messages.`);
    }
    // A maximum price is for the MM API only (simulator README, "Meta's 2026 behaviour").
    if (send.body['bid_spec'] !== undefined) throw errors.maxPriceOnCloud(send.byUserId);
    const isTemplate = send.type === 'template';
    let category: PricingCategory = 'service';
    if (isTemplate) {
      const template = usableTemplate(deps.state, account, templateRef(send));
      category = template.category.toLowerCase() as PricingCategory;
      if (template.category === 'MARKETING') {
        if (deps.state.cloudMarketingOff(account.wabaId)) throw errors.cloudMarketingOff();
        checkMarketingLimit(account, send);
      }
    }
    const wamid = newWamid();
    record.wamid = wamid;
    deps.state.rememberMessage(wamid);
    deps.webhooks.messageAccepted({
      wabaId: account.wabaId,
      phoneNumberId: account.phoneNumberId,
      displayPhoneNumber: account.displayPhoneNumber ?? account.phoneNumberId,
      wamid,
      recipientId: send.recipientId,
      userId: send.userId,
      category,
      viaMarketingMessages: false,
      maxPrice: false,
    });
    // message_status is only reported for template sends.
    const message = isTemplate ? { id: wamid, message_status: 'accepted' } : { id: wamid };
    return { status: 200, body: { messaging_product: 'whatsapp', contacts: contacts(send), messages: [message] } };
  });
}

/** POST /{phone_number_id}/messages_encrypted: a JWE the simulator does not open. */
export function encryptedMessagesRoute(deps: GraphDeps) {
  return graphEndpoint('messages_encrypted', deps, (req, record) => {
    const account = authorisePhone(deps.state, req, record.phoneNumberId ?? '');
    record.wabaId = account.wabaId;
    const body = req.body as Record<string, unknown> | null;
    if (!body || body['messaging_product'] !== 'whatsapp') {
      throw errors.invalidParameter('The parameter messaging_product is required and must be "whatsapp".');
    }
    if (typeof body['encrypted_contents'] !== 'string' || !body['encrypted_contents']) {
      throw errors.missingParameter('The parameter encrypted_contents is required.');
    }
    const wamid = newWamid();
    record.wamid = wamid;
    deps.state.rememberMessage(wamid);
    return { status: 200, body: { messaging_product: 'whatsapp', messages: [{ id: wamid }] } };
  });
}
