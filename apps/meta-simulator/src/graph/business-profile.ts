import { errors } from '../meta-errors.ts';
import { PROFILE_FIELDS, type BusinessProfile, type ProfileField } from '../state/business-profiles.ts';
import { authorisePhone } from './auth.ts';
import type { GraphDeps } from './deps.ts';
import { graphEndpoint } from './pipeline.ts';

/** Meta's limits on the profile's text fields. */
const MAX_LENGTH: Partial<Record<ProfileField, number>> = { about: 139, address: 256, description: 512, email: 128 };
const VERTICALS = new Set([
  'UNDEFINED',
  'OTHER',
  'AUTO',
  'BEAUTY',
  'APPAREL',
  'EDU',
  'ENTERTAIN',
  'EVENT_PLAN',
  'FINANCE',
  'GROCERY',
  'GOVT',
  'HOTEL',
  'HEALTH',
  'NONPROFIT',
  'PROF_SERVICES',
  'RETAIL',
  'TRAVEL',
  'RESTAURANT',
  'NOT_A_BIZ',
]);

/** `GET /{phone_number_id}/whatsapp_business_profile?fields=…` -> `{data: [{…, messaging_product}]}`. */
export function readProfileRoute(deps: GraphDeps) {
  return graphEndpoint('business_profile', deps, (req, record) => {
    const phoneNumberId = record.phoneNumberId ?? '';
    authorisePhone(deps.state, req, phoneNumberId);
    const profile = deps.state.profiles.get(phoneNumberId);
    const asked = typeof req.query['fields'] === 'string' ? req.query['fields'].split(',').map((f) => f.trim()) : [...PROFILE_FIELDS];
    const data: Record<string, unknown> = {};
    for (const field of asked) if (field in profile) data[field] = profile[field as ProfileField];
    return { status: 200, body: { data: [{ ...data, messaging_product: 'whatsapp' }] } };
  });
}

/** `POST /{phone_number_id}/whatsapp_business_profile` with `messaging_product` and the fields to change -> `{success: true}`. */
export function updateProfileRoute(deps: GraphDeps) {
  return graphEndpoint('business_profile', deps, (req, record) => {
    const phoneNumberId = record.phoneNumberId ?? '';
    authorisePhone(deps.state, req, phoneNumberId);
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    if (body.messaging_product !== 'whatsapp') throw errors.missingParameter('The parameter messaging_product is required and must be "whatsapp".');
    const changes: BusinessProfile = {};
    for (const [key, value] of Object.entries(body)) {
      if (key === 'messaging_product') continue;
      if (!(PROFILE_FIELDS as readonly string[]).includes(key)) throw errors.invalidParameter(`Unknown business profile field ${key}.`);
      const field = key as ProfileField;
      if (field === 'websites') {
        if (!Array.isArray(value) || value.length > 2 || !value.every((v) => typeof v === 'string')) throw errors.invalidParameter('websites must be at most 2 URLs.');
        changes.websites = value;
        continue;
      }
      if (typeof value !== 'string') throw errors.invalidParameter(`${field} must be a string.`);
      const max = MAX_LENGTH[field];
      if (max !== undefined && value.length > max) throw errors.invalidParameter(`${field} is longer than ${max} characters.`);
      if (field === 'vertical' && !VERTICALS.has(value)) throw errors.invalidParameter(`vertical ${value} is not a known industry.`);
      changes[field] = value;
    }
    deps.state.profiles.update(phoneNumberId, changes);
    return { status: 200, body: { success: true } };
  });
}
