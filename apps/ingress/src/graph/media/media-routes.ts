import { pipeline } from 'node:stream/promises';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { IncomingHttpHeaders } from 'node:http';
import { tenantOf, type StackDirectory } from '@gw/config';
import { gatewayErrors, type GatewayError } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { requireStack } from '../../auth.ts';
import { sendGatewayError } from '../../http-errors.ts';
import type { MediaOwnership } from './media-ownership.ts';
import { streamUpload } from './media-upload.ts';
import { UpstreamFailure, upstreamFailureOf, type GraphUpstream } from './media-upstream.ts';

const GRAPH_VERSION = /^v\d+\.\d+$/;
/** What a media id may look like before it becomes part of a Redis key or a Graph path (Meta's are digits). */
const MEDIA_ID = /^[A-Za-z0-9_.-]{1,128}$/;
/** Headers of Meta's download worth passing on; hop-by-hop and Meta's own cookies are not. */
const DOWNLOAD_HEADERS = ['content-type', 'content-length', 'content-disposition', 'etag', 'last-modified', 'cache-control'];

export interface MediaRoutesDeps {
  stacks: StackDirectory;
  ownership: MediaOwnership;
  upstream: GraphUpstream;
  /** META_GRAPH_VERSION: every call to Meta uses it, as sends do, whatever version the client's path names. */
  graphVersion: string;
  logger: Logger;
}

/** The media id of the path: `:mediaId` on the short forms, `:id` on the Graph node path the graph router shares. */
function mediaIdParam(req: Request): string {
  const params = req.params as { mediaId?: string; id?: string };
  return String(params.mediaId ?? params.id);
}

/** The query a client sent, minus any `access_token` (the client's would be its API key; Meta gets the stack's token in the header). */
function forwardedQuery(req: Request): string {
  const params = new URL(req.originalUrl, 'http://gateway').searchParams;
  params.delete('access_token');
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** The gateway's download URL for a media id: works with the stack's API key, never expires (each download asks Meta afresh). */
export function gatewayDownloadUrl(req: Request, mediaId: string): string {
  return `${req.protocol}://${req.get('host')}/media/${encodeURIComponent(mediaId)}/download`;
}

/** How long a refused upload's remaining bytes are read and dropped before the connection is cut. */
const DISCARD_GRACE_MS = 15_000;

/**
 * Answers before the client finished sending: the rest is read and dropped, since a client still
 * writing may not read the answer until its write completes and closing the connection under it
 * loses the answer (EPIPE); a client still sending after the grace period is cut off.
 */
function discardRest(req: Request): void {
  if (req.complete) return;
  req.unpipe();
  req.resume();
  const timer = setTimeout(() => req.socket.destroy(), DISCARD_GRACE_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
}

/** The `id` of Meta's upload answer, when it is one. */
function mediaIdOf(text: string): string | undefined {
  try {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    return typeof id === 'string' && MEDIA_ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Meta's status and body, unchanged. */
function passThrough(res: Response, status: number, headers: IncomingHttpHeaders, text: string): void {
  const type = headers['content-type'];
  res.status(status);
  if (typeof type === 'string') res.set('content-type', type);
  res.send(text);
}

/**
 * The media pass-through: upload (`POST /{version}/{phone_number_id}/media`, `POST /media`),
 * retrieve (`GET /{version}/{media_id}`, `GET /media/{media_id}`: `url` rewritten to the gateway's),
 * download (`GET /media/{media_id}/download`) and delete. Straight through the ingress to Meta with
 * the stack's token; a stack reaches only its own phone number and the media ids it owns.
 */
export function mediaRoutes(deps: MediaRoutesDeps): Router {
  const router = Router();
  const auth = requireStack(deps.stacks);
  const graphVersion: RequestHandler = (req, _res, next) => next(GRAPH_VERSION.test(String(req.params['version'])) ? undefined : 'route');

  /** Whether the caller's stack may reach the media id; `orNext`: an id the gateway never saw is left to the routes after these. */
  const owned =
    (orNext: boolean): RequestHandler =>
    async (req, res, next) => {
      const stack = res.locals.stack;
      const mediaId = mediaIdParam(req);
      // The stack's own phone number and WABA are never media: no Redis read on their way to the graph router.
      if (orNext && (mediaId === stack.phoneNumberId || mediaId === stack.wabaId)) return next('route');
      let owner: string | null = null;
      try {
        if (MEDIA_ID.test(mediaId)) owner = await deps.ownership.ownerOf(mediaId);
      } catch {
        return sendGatewayError(res, gatewayErrors.unavailable('The gateway could not check who owns this media id; nothing was sent to Meta.'));
      }
      if (owner === tenantOf(stack)) return next();
      if (orNext && owner === null) return next('route');
      // The attempt is logged, never the key or the token.
      deps.logger.warn(
        { stackId: stack.id, mediaId, method: req.method, route: `${req.baseUrl}${String((req.route as { path?: unknown }).path)}` },
        "media id refused: not this stack's",
      );
      sendGatewayError(res, gatewayErrors.notYourResource('media', mediaId));
    };

  const failed = (res: Response, error: unknown, what: string) => {
    const answer: GatewayError = error instanceof UpstreamFailure ? error.answer : upstreamFailureOf(error, what, deps.upstream.options.timeoutMs);
    if (res.headersSent) return void res.destroy();
    sendGatewayError(res, answer);
  };

  const upload: RequestHandler = async (req, res) => {
    const stack = res.locals.stack;
    const phoneNumberId = (req.params as { phoneNumberId?: string }).phoneNumberId;
    if (phoneNumberId !== undefined && phoneNumberId !== stack.phoneNumberId) {
      discardRest(req);
      return sendGatewayError(res, gatewayErrors.wrongPhoneNumber(phoneNumberId));
    }
    const path = `/${deps.graphVersion}/${stack.phoneNumberId}/media`;
    const outcome = await streamUpload(req, (contentType, body) => deps.upstream.upload(path, stack.accessToken, contentType, body, 'the media upload'));
    if (outcome.kind === 'aborted') return void res.destroy();
    // Refused, failed or answered early by Meta: the rest of the client's upload is not wanted.
    discardRest(req);
    if (outcome.kind === 'refused' || outcome.kind === 'failed') return sendGatewayError(res, outcome.error);
    const { statusCode, headers, body } = outcome.response;
    let text: string;
    try {
      text = await body.text();
    } catch (error) {
      return failed(res, error, 'the media upload');
    }
    if (statusCode >= 200 && statusCode < 300) {
      const id = mediaIdOf(text);
      if (id !== undefined) {
        // Meta has the file either way: an id the stack cannot retrieve later beats losing the answer.
        await deps.ownership
          .record(id, tenantOf(stack))
          .catch((error: Error) => deps.logger.error({ stackId: stack.id, mediaId: id, err: error.message }, 'media ownership not recorded'));
      }
    }
    passThrough(res, statusCode, headers, text);
  };

  const retrieve: RequestHandler = async (req, res) => {
    const stack = res.locals.stack;
    const mediaId = mediaIdParam(req);
    try {
      const response = await deps.upstream.call('GET', `/${deps.graphVersion}/${mediaId}${forwardedQuery(req)}`, stack.accessToken, 'the media retrieve');
      const text = await response.body.text();
      if (response.statusCode !== 200) return passThrough(res, response.statusCode, response.headers, text);
      const body = JSON.parse(text) as Record<string, unknown>;
      if (typeof body['url'] === 'string') body['url'] = gatewayDownloadUrl(req, mediaId);
      res.status(200).json(body);
    } catch (error) {
      failed(res, error, 'the media retrieve');
    }
  };

  const download: RequestHandler = async (req, res) => {
    const stack = res.locals.stack;
    const mediaId = mediaIdParam(req);
    try {
      // Meta's URL lasts 5 minutes: each download asks for a fresh one.
      const meta = await deps.upstream.call('GET', `/${deps.graphVersion}/${mediaId}`, stack.accessToken, 'the media download');
      const text = await meta.body.text();
      if (meta.statusCode !== 200) return passThrough(res, meta.statusCode, meta.headers, text);
      const url = (JSON.parse(text) as { url?: unknown }).url;
      if (typeof url !== 'string') return sendGatewayError(res, gatewayErrors.internal());
      const file = await deps.upstream.download(url, stack.accessToken, 'the media download');
      const headers: Record<string, string> = {};
      for (const name of DOWNLOAD_HEADERS) {
        const value = file.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      res.writeHead(file.statusCode, headers);
      // Streamed: a client that stops reading slows Meta's side too; one that leaves aborts it.
      await pipeline(file.body, res);
    } catch (error) {
      failed(res, error, 'the media download');
    }
  };

  const remove: RequestHandler = async (req, res) => {
    const stack = res.locals.stack;
    const mediaId = mediaIdParam(req);
    try {
      const response = await deps.upstream.call('DELETE', `/${deps.graphVersion}/${mediaId}${forwardedQuery(req)}`, stack.accessToken, 'the media delete');
      const text = await response.body.text();
      if (response.statusCode >= 200 && response.statusCode < 300) await deps.ownership.forget(mediaId).catch(() => undefined);
      passThrough(res, response.statusCode, response.headers, text);
    } catch (error) {
      failed(res, error, 'the media delete');
    }
  };

  // Short forms beside /messages first: `/media/x` must not be read as a Graph version `media`.
  router.post('/media', auth, upload);
  router.get('/media/:mediaId', auth, owned(false), retrieve);
  router.get('/media/:mediaId/download', auth, owned(false), download);
  router.delete('/media/:mediaId', auth, owned(false), remove);
  router.post('/:version/:phoneNumberId/media', graphVersion, auth, upload);
  // `/{version}/{id}` is also a phone number, a WABA or a template: ids the gateway never saw as media go on to the graph router.
  router.get('/:version/:id', graphVersion, auth, owned(true), retrieve);
  router.delete('/:version/:id', graphVersion, auth, owned(true), remove);
  return router;
}
