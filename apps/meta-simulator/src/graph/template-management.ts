import type { Request } from 'express';
import { newFbtraceId } from '../ids.ts';
import { errors, metaError, MetaError, unknownObject } from '../meta-errors.ts';
import { CATEGORIES, type Category } from '../seed.ts';
import type { Template } from '../state/templates.ts';
import { authoriseWaba } from './auth.ts';
import type { GraphDeps } from './deps.ts';
import { graphEndpoint } from './pipeline.ts';
import { emitCategoryChange, emitTemplateStatus, scheduleReview } from './template-review.ts';

const NAME = /^[a-z0-9_]{1,512}$/;
/** Statuses Meta lets a business edit (template management guide, "Edit templates"). */
const EDITABLE = new Set(['APPROVED', 'REJECTED', 'PAUSED']);
const EDITABLE_FIELDS = new Set(['category', 'components', 'message_send_ttl_seconds', 'parameter_format']);

type Body = Record<string, unknown>;
const bodyOf = (req: Request): Body => (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? (req.body as Body) : {});
const textOf = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

function categoryOf(value: unknown): Category {
  const category = textOf(value)?.toUpperCase();
  if (!category || !(CATEGORIES as readonly string[]).includes(category)) throw errors.invalidParameter('category must be one of MARKETING, UTILITY, AUTHENTICATION.');
  return category as Category;
}

/** Graph's answer to a second template of one name and language. */
function alreadyExists(name: string, language: string): MetaError {
  return new MetaError(400, {
    error: {
      message: 'Invalid parameter',
      type: 'OAuthException',
      code: 100,
      error_subcode: 2388024,
      error_data: { messaging_product: 'whatsapp', details: `Content in this language already exists: ${name} (${language}).` },
      fbtrace_id: newFbtraceId(),
    },
  });
}

/** `POST /{waba_id}/message_templates`: `{name, language, category, components}` -> `{id, status: "PENDING", category}`; approved after review. */
export function createTemplateRoute(deps: GraphDeps) {
  return graphEndpoint('template_manage', deps, (req, record) => {
    const wabaId = record.wabaId ?? '';
    authoriseWaba(deps.state, req, wabaId);
    const body = bodyOf(req);
    const name = textOf(body.name);
    const language = textOf(body.language);
    if (!name) throw errors.missingParameter('The parameter name is required.');
    if (!NAME.test(name)) throw errors.invalidParameter('name may contain only lowercase letters, digits and underscores (at most 512).');
    if (!language) throw errors.missingParameter('The parameter language is required.');
    // Since 2025 Meta's review may assign another category than the one asked for; the answer carries Meta's.
    const asked = categoryOf(body.category);
    const category = deps.state.reviewVerdicts.get(`${wabaId}\0${name}`) ?? asked;
    if (!Array.isArray(body.components) || body.components.length === 0) throw errors.missingParameter('The parameter components is required.');
    if (deps.state.templates.find(wabaId, name, language)) throw alreadyExists(name, language);
    const template = deps.state.templates.upsert({ wabaId, name, language, category, status: 'PENDING' });
    scheduleReview(deps.state.templates, deps.webhooks, template, deps.templateReviewMs);
    return { status: 200, body: { id: template.id, status: template.status, category: template.category } };
  });
}

/** `DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]`: by name every language goes; with hsm_id only that one. */
export function deleteTemplateRoute(deps: GraphDeps) {
  return graphEndpoint('template_manage', deps, (req, record) => {
    const wabaId = record.wabaId ?? '';
    authoriseWaba(deps.state, req, wabaId);
    const name = textOf(req.query['name']);
    const hsmId = textOf(req.query['hsm_id']);
    if (!name) throw errors.missingParameter('The parameter name is required.');
    let doomed: Template[];
    if (hsmId) {
      const template = deps.state.templates.findById(hsmId);
      doomed = template && template.wabaId === wabaId && template.name === name ? [template] : [];
    } else {
      doomed = deps.state.templates.list(wabaId).filter((t) => t.name === name);
    }
    if (doomed.length === 0) throw metaError(400, 100, 'Invalid parameter', `Message template "${name}"${hsmId ? ` with id ${hsmId}` : ''} was not found.`);
    if (doomed.some((t) => t.status === 'DISABLED')) throw metaError(400, 100, 'Invalid parameter', 'Templates in a disabled status cannot be deleted.');
    for (const template of doomed) {
      deps.state.templates.remove(wabaId, template.name, template.language);
      emitTemplateStatus(deps.webhooks, template, 'DELETED');
    }
    return { status: 200, body: { success: true } };
  });
}

/** `GET /{template_id}`: the template's fields (`?fields=` picks them; the id always). */
export function readTemplateRoute(deps: GraphDeps) {
  return graphEndpoint('template', deps, (req) => {
    const template = templateOf(deps, req);
    const all: Record<string, unknown> = { name: template.name, language: template.language, status: template.status, category: template.category, components: [] };
    const fields = typeof req.query['fields'] === 'string' ? req.query['fields'].split(',').map((f) => f.trim()) : Object.keys(all);
    const body: Record<string, unknown> = {};
    for (const field of fields) if (field in all) body[field] = all[field];
    body['id'] = template.id;
    return { status: 200, body };
  });
}

/** `POST /{template_id}`: a new category, components or TTL; the template goes back to review. */
export function editTemplateRoute(deps: GraphDeps) {
  return graphEndpoint('template', deps, (req) => {
    const template = templateOf(deps, req);
    const body = bodyOf(req);
    const unknown = Object.keys(body).filter((k) => !EDITABLE_FIELDS.has(k));
    if (unknown.length) throw errors.invalidParameter(`Only category, components and message_send_ttl_seconds can be edited (got ${unknown.join(', ')}).`);
    if (!EDITABLE.has(template.status)) throw errors.invalidParameter(`A template in status ${template.status} cannot be edited.`);
    const category = body.category === undefined ? undefined : categoryOf(body.category);
    if (category && category !== template.category && template.status === 'APPROVED') {
      throw errors.invalidParameter('The category of an approved template cannot be edited.');
    }
    if (category && category !== template.category) {
      const previous = template.category;
      template.category = category;
      // A completed category change, as Meta announces every change of a template's category.
      emitCategoryChange(deps.webhooks, template, previous);
    }
    template.status = 'PENDING';
    scheduleReview(deps.state.templates, deps.webhooks, template, deps.templateReviewMs);
    return { status: 200, body: { success: true } };
  });
}

/** The template the path names; the token must be one of its WABA's. */
function templateOf(deps: GraphDeps, req: Request): Template {
  const id = String(req.params['id']);
  const template = deps.state.templates.findById(id);
  if (!template) throw unknownObject(id, req.method === 'GET' ? 'get' : 'post');
  authoriseWaba(deps.state, req, template.wabaId);
  return template;
}
