import { createHash } from 'node:crypto';
import { errors } from '../meta-errors.ts';
import type { Account, SimulatorState } from '../state/state.ts';
import type { Template } from '../state/templates.ts';

/** What both send endpoints need from a request body. */
export interface SendRequest {
  /** The phone number, when the send has one; `to` wins over `recipient` (simulator README, "Meta's 2026 behaviour"). */
  to?: string;
  /** `to` without `+` or punctuation: Meta's wa_id / recipient_id; absent for a BSUID-only send. */
  recipientId?: string;
  /** The business-scoped user id: `recipient` as sent, or the one Meta derives for `to`. */
  userId: string;
  /** Addressed by `recipient` (BSUID) only. */
  byUserId: boolean;
  recipientType: string;
  type: string;
  body: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A stable, made-up BSUID for a phone number (Meta's are country code + 20 digits). */
export function userIdFor(waId: string): string {
  const digest = createHash('sha256').update(waId).digest();
  return `US.${digest.readBigUInt64BE(0).toString().padStart(20, '0').slice(0, 20)}`;
}

/** Checks shared by /messages and /marketing_messages, in the order Meta reports them. */
export function parseSend(body: unknown): SendRequest {
  if (!isObject(body) || body['messaging_product'] !== 'whatsapp') {
    throw errors.invalidParameter('The parameter messaging_product is required and must be "whatsapp".');
  }
  const rawTo = body['to'];
  const to = typeof rawTo === 'number' ? String(rawTo) : rawTo;
  const recipient = body['recipient'];
  const hasTo = typeof to === 'string' && to.trim() !== '';
  const hasRecipient = typeof recipient === 'string' && recipient.trim() !== '';
  // Since May 2026 either names the recipient; neither is Meta's code 100.
  if (!hasTo && !hasRecipient) throw errors.invalidParameter('The parameter to is required.');
  // Meta defaults a missing type to text.
  const type = typeof body['type'] === 'string' ? body['type'] : 'text';
  const recipientType = typeof body['recipient_type'] === 'string' ? body['recipient_type'] : 'individual';
  if (hasTo) {
    const recipientId = to.replace(/\D/g, '');
    return { to, recipientId, userId: userIdFor(recipientId), byUserId: false, recipientType, type, body };
  }
  return { userId: recipient as string, byUserId: true, recipientType, type, body };
}

export interface TemplateRef {
  name: string;
  language: string;
}

export function templateRef(send: SendRequest): TemplateRef {
  const template = send.body['template'];
  const name = isObject(template) ? template['name'] : undefined;
  if (typeof name !== 'string' || !name) throw errors.missingParameter('The parameter template[name] is required.');
  const language = isObject(template) && isObject(template['language']) ? template['language']['code'] : undefined;
  if (typeof language !== 'string' || !language) {
    throw errors.missingParameter('The parameter template[language][code] is required.');
  }
  checkComponents(template as Record<string, unknown>);
  return { name, language };
}

/**
 * Code 100 on a template is an invalid parameter (simulator README, "Meta's 2026 behaviour"): here a
 * component without a type, or a parameter without one, or a text parameter without text.
 */
function checkComponents(template: Record<string, unknown>): void {
  const components = template['components'];
  if (components === undefined) return;
  if (!Array.isArray(components)) throw errors.invalidParameter('template[components] must be an array.');
  components.forEach((component, i) => {
    if (!isObject(component) || typeof component['type'] !== 'string') {
      throw errors.invalidParameter(`template[components][${i}][type] is required.`);
    }
    const parameters = component['parameters'];
    if (parameters === undefined) return;
    if (!Array.isArray(parameters)) throw errors.invalidParameter(`template[components][${i}][parameters] must be an array.`);
    parameters.forEach((parameter, j) => {
      const where = `template[components][${i}][parameters][${j}]`;
      if (!isObject(parameter) || typeof parameter['type'] !== 'string') throw errors.invalidParameter(`${where}[type] is required.`);
      if (parameter['type'] === 'text' && typeof parameter['text'] !== 'string') throw errors.invalidParameter(`${where}[text] is required.`);
    });
  });
}

/** Finds a sendable template of the account's WABA, or throws what Meta would. */
export function usableTemplate(state: SimulatorState, account: Account, ref: TemplateRef): Template {
  const template = state.templates.find(account.wabaId, ref.name, ref.language);
  if (!template) throw errors.templateNotFound(ref.name, ref.language);
  if (template.status === 'PAUSED') throw errors.templatePaused(ref.name);
  if (template.status === 'DISABLED') throw errors.templateDisabled(ref.name);
  if (template.status !== 'APPROVED') throw errors.templateNotFound(ref.name, ref.language);
  return template;
}

/** A user at the per-user marketing limit gets 131049 on both APIs (simulator README, "Meta's 2026 behaviour"). */
export function checkMarketingLimit(account: Account, send: SendRequest): void {
  const limited = account.marketingLimited ?? [];
  if (limited.includes(send.userId) || (send.to !== undefined && (limited.includes(send.to) || limited.includes(send.recipientId!)))) {
    throw errors.perUserLimit();
  }
}

/** `contacts[]` of a send's answer: a BSUID-only send gets `user_id` and no `wa_id`. */
export function contacts(send: SendRequest): Array<Record<string, string>> {
  if (send.byUserId) return [{ input: send.userId, user_id: send.userId }];
  return [{ input: send.to!, wa_id: send.recipientId! }];
}
