import { errors } from '../meta-errors.ts';
import type { Account, SimulatorState } from '../state/state.ts';
import type { Template } from '../state/templates.ts';

/** What both send endpoints need from a request body. */
export interface SendRequest {
  to: string;
  /** `to` without `+` or punctuation: Meta's wa_id / recipient_id. */
  recipientId: string;
  type: string;
  body: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks shared by /messages and /marketing_messages, in the order Meta reports them. */
export function parseSend(body: unknown): SendRequest {
  if (!isObject(body) || body['messaging_product'] !== 'whatsapp') {
    throw errors.invalidParameter('The parameter messaging_product is required and must be "whatsapp".');
  }
  const rawTo = body['to'];
  const to = typeof rawTo === 'number' ? String(rawTo) : rawTo;
  if (typeof to !== 'string' || to.trim() === '') throw errors.missingParameter('The parameter to is required.');
  // Meta defaults a missing type to text.
  const type = typeof body['type'] === 'string' ? body['type'] : 'text';
  return { to, recipientId: to.replace(/\D/g, ''), type, body };
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
  return { name, language };
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

export function contacts(send: SendRequest): Array<{ input: string; wa_id: string }> {
  return [{ input: send.to, wa_id: send.recipientId }];
}
