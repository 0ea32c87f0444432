import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Stack, StackDirectory } from '@gw/config';
import type { CategoryCache, TemplateOwner, TemplateOwners } from '@gw/category-cache';
import { gatewayErrors } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { requireStack } from '../auth.ts';
import { sendGatewayError } from '../http-errors.ts';
import { forwardableQueryOf, jsonOf, writeGraphAnswer } from './graph-passthrough.ts';
import { UpstreamFailure, type GraphAnswer, type GraphUpstream } from './graph-upstream.ts';
import { ownNode, TemplateTenancy } from './graph-tenancy.ts';
import { afterCreate, afterDelete, afterEdit, afterList, rewritePaging, type TemplateCacheAction } from './template-cache-updates.ts';

const GRAPH_VERSION = /^v\d+\.\d+$/;
/** Template listings are read whole when the gateway refreshes its id map; bounded so one refresh stays one burst. */
const REFRESH_PAGE_SIZE = 250;
const REFRESH_MAX_PAGES = 40;
/** Template and profile bodies are a few KB; Meta's own limit on a template is far below this. */
const GRAPH_BODY_LIMIT = '1mb';

export interface GraphRoutesDeps {
  stacks: StackDirectory;
  /** The ingress's one client of Meta's Graph API (shared with the media routes). */
  upstream: GraphUpstream;
  categories: CategoryCache;
  owners: TemplateOwners;
  logger: Logger;
}

/**
 * The client's Graph calls for its own stack's resources, passed through to Meta
 * with the stack's token: templates (list, create, edit, delete), the business
 * profile, the phone number and WABA nodes. Any other id gets 403. Mounted after
 * the media routes, which leave every id that is not their media to these.
 */
export function graphRoutes(deps: GraphRoutesDeps): Router {
  const { upstream, categories, owners, logger } = deps;
  const router = Router();
  const auth = requireStack(deps.stacks);
  // Bytes, not parsed JSON: the body reaches Meta exactly as the client wrote it (JSON or form-encoded).
  const rawParser = express.raw({ type: () => true, limit: GRAPH_BODY_LIMIT });
  const raw: RequestHandler = (req, res, next) =>
    rawParser(req, res, (error?: unknown) => {
      // The app's error handler would name the send routes' BODY_LIMIT.
      if ((error as { type?: string } | undefined)?.type === 'entity.too.large') return sendGatewayError(res, gatewayErrors.bodyTooLarge(GRAPH_BODY_LIMIT));
      next(error);
    });
  // `/{not a Graph version}/…` is some other route's (`/templates/categories`, `/admin/…`): skip these.
  const versioned: RequestHandler = (req, _res, next) => next(GRAPH_VERSION.test(String(req.params.version)) ? undefined : 'route');

  const tenancy = new TemplateTenancy({ owners, refresh: (stack) => refreshTemplates(stack) });
  /** The stack's template of that id; null when the owner map cannot be read (Redis down): the client gets 503, not a guess. */
  const ownTemplate = async (stack: Stack, id: string): Promise<TemplateOwner | undefined | null> => {
    try {
      return await tenancy.ownTemplate(stack, id);
    } catch (error) {
      logger.warn({ stackId: stack.id, err: (error as Error).message }, 'graph pass-through: template owners unreadable');
      return null;
    }
  };
  const ownersUnavailable = (res: Response) => sendGatewayError(res, gatewayErrors.unavailable('The gateway cannot check whose template this is right now. Retry later.'));

  async function applyActions(stack: Stack, actions: TemplateCacheAction[]): Promise<void> {
    for (const action of actions) {
      if (action.kind === 'write') await categories.write(stack.wabaId, action.template, action.category, 'api');
      else if (action.kind === 'evict') await categories.evict(stack.wabaId, action.template);
      else if (action.kind === 'own') await owners.remember(stack.wabaId, action.templates);
      else if (action.kind === 'forget') await owners.forget(action.ids);
      else {
        for (const entry of await categories.list(stack.wabaId)) {
          if (entry.name === action.name) await categories.evict(stack.wabaId, entry);
        }
      }
    }
  }

  /** Meta answered; the cache and id map follow it. A Redis failure must not turn Meta's success into an error: the next sync repairs it. */
  async function learn(stack: Stack, actions: TemplateCacheAction[]): Promise<void> {
    try {
      await applyActions(stack, actions);
    } catch (error) {
      logger.warn({ stackId: stack.id, err: (error as Error).message }, 'graph pass-through: category cache not updated');
    }
  }

  async function refreshTemplates(stack: Stack): Promise<void> {
    let after: string | undefined;
    for (let page = 0; page < REFRESH_MAX_PAGES; page++) {
      const query = new URLSearchParams({ fields: 'name,language,category,status', limit: String(REFRESH_PAGE_SIZE) });
      if (after) query.set('after', after);
      let result: GraphAnswer;
      try {
        result = await upstream.json(
          'graph_message_templates',
          { method: 'GET', path: `${encodeURIComponent(stack.wabaId)}/message_templates`, query, token: stack.accessToken },
          'GET message_templates',
        );
      } catch (error) {
        // Meta slow or unreachable: the map stays as it is (the id is then not the stack's, for now).
        if (error instanceof UpstreamFailure) return;
        throw error;
      }
      if (result.status !== 200) return;
      const body = jsonOf(result.body) as { paging?: { next?: string; cursors?: { after?: string } } } | undefined;
      await applyActions(stack, afterList(body));
      after = body?.paging?.next ? body.paging.cursors?.after : undefined;
      if (!after) return;
    }
  }

  function refuse(req: Request, res: Response, kind: string, id: string): void {
    const stack = res.locals.stack;
    // Who tried what: never the key or the token.
    logger.warn({ stackId: stack.id, kind, id, method: req.method }, 'graph call refused: not this stack’s resource');
    sendGatewayError(res, gatewayErrors.notYourResource(kind, id));
  }

  /** Calls Meta with the request's method, query and body; answers the gateway's 502/504 itself, else hands Meta's answer on. */
  async function forward(req: Request, res: Response, route: string, path: string): Promise<GraphAnswer | undefined> {
    const stack = res.locals.stack;
    const method = req.method as 'GET' | 'POST' | 'DELETE';
    const what = `${method} ${route}`;
    try {
      return await upstream.json(
        `graph_${route}`,
        {
          method,
          path,
          query: forwardableQueryOf(req.originalUrl),
          body: Buffer.isBuffer(req.body) ? req.body : undefined,
          contentType: req.get('content-type'),
          token: stack.accessToken,
        },
        what,
      );
    } catch (error) {
      return void sendGatewayError(res, upstream.failureOf(error, what, method));
    }
  }

  const ok = (result: GraphAnswer) => result.status >= 200 && result.status < 300;
  /** The request body as fields: JSON, or a form Meta accepts too. */
  const fieldsOf = (req: Request): unknown => {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) return undefined;
    if ((req.get('content-type') ?? '').includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(req.body.toString('utf8')));
    return jsonOf(req.body);
  };

  // ---- message templates of the stack's WABA ----
  const wabaOf = (req: Request, res: Response): string | undefined => {
    const { wabaId } = req.params as { wabaId?: string };
    const stack = res.locals.stack;
    if (wabaId !== undefined && wabaId !== stack.wabaId) return void refuse(req, res, 'WhatsApp Business Account', wabaId);
    return stack.wabaId;
  };
  const templatesPath = (wabaId: string) => `${encodeURIComponent(wabaId)}/message_templates`;

  const listTemplates: RequestHandler = async (req, res) => {
    const wabaId = wabaOf(req, res);
    if (!wabaId) return;
    const result = await forward(req, res, 'message_templates', templatesPath(wabaId));
    if (!result) return;
    const body = ok(result) ? jsonOf(result.body) : undefined;
    if (body === undefined) return writeGraphAnswer(res, result);
    await learn(res.locals.stack, afterList(body));
    const version = String(req.params.version ?? upstream.version);
    const rewritten = rewritePaging(body, upstream.metaPrefix, `${req.protocol}://${req.get('host') ?? 'localhost'}/${version}/`);
    writeGraphAnswer(res, result, rewritten ? Buffer.from(JSON.stringify(body)) : result.body);
  };

  const createTemplate: RequestHandler = async (req, res) => {
    const wabaId = wabaOf(req, res);
    if (!wabaId) return;
    const result = await forward(req, res, 'message_templates', templatesPath(wabaId));
    if (!result) return;
    if (ok(result)) await learn(res.locals.stack, afterCreate(fieldsOf(req), jsonOf(result.body)));
    writeGraphAnswer(res, result);
  };

  const deleteTemplate: RequestHandler = async (req, res) => {
    const wabaId = wabaOf(req, res);
    if (!wabaId) return;
    const stack = res.locals.stack;
    const query = new URL(req.originalUrl, 'http://gateway.invalid').searchParams;
    const hsmId = query.get('hsm_id');
    let byId: TemplateOwner | undefined;
    if (hsmId) {
      const owned = await ownTemplate(stack, hsmId);
      if (owned === null) return ownersUnavailable(res);
      if (!owned) return refuse(req, res, 'template', hsmId);
      byId = owned;
    }
    const result = await forward(req, res, 'message_templates', templatesPath(wabaId));
    if (!result) return;
    if (ok(result)) await learn(stack, afterDelete(query, byId));
    writeGraphAnswer(res, result);
  };

  for (const path of ['/:version/:wabaId/message_templates', '/message_templates']) {
    const guard = path.startsWith('/:version') ? [versioned, auth] : [auth];
    router.get(path, ...guard, listTemplates);
    router.post(path, ...guard, raw, createTemplate);
    router.delete(path, ...guard, deleteTemplate);
  }

  // ---- the business profile of the stack's phone number ----
  const profile: RequestHandler = async (req, res) => {
    const { phoneNumberId } = req.params as { phoneNumberId?: string };
    const stack = res.locals.stack;
    if (phoneNumberId !== undefined && phoneNumberId !== stack.phoneNumberId) return refuse(req, res, 'phone number', phoneNumberId);
    const result = await forward(req, res, 'business_profile', `${encodeURIComponent(stack.phoneNumberId)}/whatsapp_business_profile`);
    if (result) writeGraphAnswer(res, result);
  };
  for (const path of ['/:version/:phoneNumberId/whatsapp_business_profile', '/whatsapp_business_profile']) {
    const guard = path.startsWith('/:version') ? [versioned, auth] : [auth];
    router.get(path, ...guard, profile);
    router.post(path, ...guard, raw, profile);
  }

  // ---- one node: the stack's phone number, its WABA, or one of its WABA's templates ----
  const node: RequestHandler = async (req, res) => {
    const { id } = req.params as { id: string };
    const stack = res.locals.stack;
    const own = ownNode(stack, id);
    const template = own ? undefined : await ownTemplate(stack, id);
    if (template === null) return ownersUnavailable(res);
    if (!own && !template) return refuse(req, res, 'object', id);
    const result = await forward(req, res, own ?? 'template', encodeURIComponent(id));
    if (!result) return;
    if (template && req.method === 'POST' && ok(result)) await learn(stack, afterEdit(template, fieldsOf(req), jsonOf(result.body)));
    writeGraphAnswer(res, result);
  };
  router.get('/:version/:id', versioned, auth, node);
  router.post('/:version/:id', versioned, auth, raw, node);
  router.delete('/:version/:id', versioned, auth, node);

  return router;
}
