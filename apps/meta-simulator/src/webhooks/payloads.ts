import { randomToken } from '../ids.ts';
import type { FailError, StatusKind } from './config.ts';

/** `marketing_lite` marks MM API sends; the others follow the template category. */
export type PricingCategory = 'marketing_lite' | 'marketing' | 'utility' | 'authentication' | 'service';

export interface AcceptedMessage {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  wamid: string;
  recipientId: string;
  category: PricingCategory;
  /** Sent through /marketing_messages: only those can produce click events. */
  viaMarketingMessages: boolean;
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

/**
 * Graph v24 status shape: no `conversation`; `pricing` on sent and delivered
 * only, never on read.
 */
export function statusPayload(msg: AcceptedMessage, status: StatusKind, now = Date.now()): object {
  const pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: msg.category };
  const entry = {
    id: msg.wamid,
    status,
    timestamp: String(unixSeconds(now)),
    recipient_id: msg.recipientId,
    ...(status === 'read' ? {} : { pricing }),
  };
  return envelope(msg.wabaId, 'messages', messagesValue(msg, { statuses: [entry] }));
}

export function failedPayload(msg: AcceptedMessage, error: FailError, now = Date.now()): object {
  const entry = {
    id: msg.wamid,
    status: 'failed',
    timestamp: String(unixSeconds(now)),
    recipient_id: msg.recipientId,
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
