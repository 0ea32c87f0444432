import { randomToken } from '../ids.ts';
import type { FailError, StatusKind } from './config.ts';

/** `marketing_lite` marks MM API sends; the others follow the template category. */
export type PricingCategory = 'marketing_lite' | 'marketing' | 'utility' | 'authentication' | 'service';

export interface AcceptedMessage {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  wamid: string;
  /** The wa_id; absent when the send named only a business-scoped user id. */
  recipientId?: string;
  /** The recipient's business-scoped user id (BSUID, since May 2026). */
  userId: string;
  category: PricingCategory;
  /** Sent through /marketing_messages: only those can produce click events. */
  viaMarketingMessages: boolean;
  /** Sent with a maximum price (`bid_spec`): delivered and read carry `pricing.cost`. */
  maxPrice?: boolean;
}

const unixSeconds = (now: number) => Math.floor(now / 1000);

export function envelope(wabaId: string, field: string, value: object, time?: number): object {
  const entry = time === undefined ? { id: wabaId, changes: [{ field, value }] } : { id: wabaId, time, changes: [{ field, value }] };
  return { object: 'whatsapp_business_account', entry: [entry] };
}

function messagesValue(msg: AcceptedMessage, extra: object): object {
  return {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: msg.displayPhoneNumber, phone_number_id: msg.phoneNumberId },
    ...extra,
  };
}

/** Who a message went to, as statuses name them since 2026: `recipient_id` only when a wa_id is known. */
function recipientFields(msg: AcceptedMessage): object {
  return { ...(msg.recipientId === undefined ? {} : { recipient_id: msg.recipientId }), recipient_user_id: msg.userId };
}

/**
 * The 2026 status shape (simulator README, "Meta's 2026 behaviour"): no `conversation`;
 * `value.contacts[]` with `user_id` (and `wa_id` when known); `recipient_user_id`
 * on the status, `recipient_id` only for sends to a phone number; `pricing` on
 * sent and delivered, and on read only with a maximum price, whose delivered and
 * read carry `pricing.cost`.
 */
export function statusPayload(msg: AcceptedMessage, status: StatusKind, now = Date.now()): object {
  const cost = msg.maxPrice && status !== 'sent' ? { cost: { amount: 0.0125, currency: 'USD' } } : {};
  const pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: msg.category, ...cost };
  const entry = {
    id: msg.wamid,
    status,
    timestamp: String(unixSeconds(now)),
    ...recipientFields(msg),
    ...(status === 'read' && !msg.maxPrice ? {} : { pricing }),
  };
  const contact = { profile: { name: 'Simulated User' }, ...(msg.recipientId === undefined ? {} : { wa_id: msg.recipientId }), user_id: msg.userId };
  return envelope(msg.wabaId, 'messages', messagesValue(msg, { contacts: [contact], statuses: [entry] }));
}

export function failedPayload(msg: AcceptedMessage, error: FailError, now = Date.now()): object {
  const entry = {
    id: msg.wamid,
    status: 'failed',
    timestamp: String(unixSeconds(now)),
    ...recipientFields(msg),
    errors: [
      {
        code: error.code,
        title: error.title,
        message: error.message,
        error_data: { details: error.details },
        href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
      },
    ],
  };
  return envelope(msg.wabaId, 'messages', messagesValue(msg, { statuses: [entry] }));
}

/** Meta's documented click event carries neither wamid nor recipient. */
export function clickPayload(msg: AcceptedMessage, now = Date.now()): object {
  const action = {
    action_type: 'marketing_messages_link_click',
    timestamp: unixSeconds(now),
    marketing_messages_link_click_data: {
      click_component: 'cta',
      product_id: '',
      click_id: randomToken(12),
      tracking_token: randomToken(18),
    },
  };
  return envelope(msg.wabaId, 'messages', messagesValue(msg, { user_actions: [action] }));
}

/** Template webhooks carry `entry[].time`, unlike message webhooks. */
export function templatePayload(wabaId: string, field: string, value: object, now = Date.now()): object {
  return envelope(wabaId, field, value, unixSeconds(now));
}
