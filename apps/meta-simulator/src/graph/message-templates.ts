import type { Request } from 'express';
import { normaliseLanguage } from '../language.ts';
import { errors } from '../meta-errors.ts';
import type { Template } from '../state/templates.ts';
import { authoriseWaba } from './auth.ts';
import type { GraphDeps } from './deps.ts';
import { graphEndpoint } from './pipeline.ts';

const DEFAULT_FIELDS = ['name', 'language', 'status', 'category', 'id'];
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;

// Fields the simulator can answer; unknown ones are left out rather than rejected,
// so a gateway asking for e.g. quality_score still gets a usable listing.
const FIELD_VALUES: Record<string, (t: Template) => unknown> = {
  name: (t) => t.name,
  language: (t) => t.language,
  status: (t) => t.status,
  category: (t) => t.category,
  components: () => [],
  parameter_format: () => 'POSITIONAL',
};

function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function list(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

// Cursors point at a template's creation order, so pages stay stable while
// templates are upserted between requests.
const encodeCursor = (t: Template) => Buffer.from(`sim-cursor:${t.order}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const match = /^sim-cursor:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match?.[1]) throw errors.invalidCursor();
  return Number(match[1]);
}

function project(template: Template, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = FIELD_VALUES[field];
    if (value) out[field] = value(template);
  }
  out['id'] = template.id; // Graph always returns the id, and last.
  return out;
}

function nextUrl(req: Request, after: string, limit: number): string {
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  url.searchParams.delete('before');
  url.searchParams.set('limit', String(limit));
  url.searchParams.set('after', after);
  return url.toString();
}

/** GET /{waba_id}/message_templates with fields, limit, after, name, status, category, language. */
export function messageTemplatesRoute(deps: GraphDeps) {
  return graphEndpoint('message_templates', deps, (req, record) => {
    const wabaId = record.wabaId ?? '';
    authoriseWaba(deps.state, req, wabaId);

    const fields = list(queryString(req, 'fields')) ?? DEFAULT_FIELDS;
    const requested = Number.parseInt(queryString(req, 'limit') ?? '', 10);
    const limit = Number.isFinite(requested) && requested > 0 ? Math.min(requested, MAX_LIMIT) : DEFAULT_LIMIT;
    const after = queryString(req, 'after');
    const afterOrder = after === undefined ? 0 : decodeCursor(after);
    const name = queryString(req, 'name');
    const statuses = list(queryString(req, 'status'))?.map((s) => s.toUpperCase());
    const categories = list(queryString(req, 'category'))?.map((s) => s.toUpperCase());
    const language = queryString(req, 'language');

    const matching = deps.state.templates
      .list(wabaId)
      .filter(
        (t) =>
          t.order > afterOrder &&
          (name === undefined || t.name === name) &&
          (statuses === undefined || statuses.includes(t.status)) &&
          (categories === undefined || categories.includes(t.category)) &&
          (language === undefined || t.language === normaliseLanguage(language)),
      );
    const page = matching.slice(0, limit);
    const first = page[0];
    const last = page[page.length - 1];
    // Graph answers an empty edge with just {"data": []}.
    if (!first || !last) return { status: 200, body: { data: [] } };

    const paging: Record<string, unknown> = { cursors: { before: encodeCursor(first), after: encodeCursor(last) } };
    if (matching.length > limit) paging['next'] = nextUrl(req, encodeCursor(last), limit);
    return { status: 200, body: { data: page.map((t) => project(t, fields)), paging } };
  });
}
