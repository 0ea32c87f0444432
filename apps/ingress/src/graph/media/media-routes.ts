import { pipeline } from 'node:stream/promises';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { tenantOf, type StackDirectory } from '@gw/config';
import { gatewayErrors } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { requireStack } from '../../auth.ts';
import { sendGatewayError } from '../../http-errors.ts';
import type { MediaGarbage } from './media-garbage.ts';
import type { MediaOwnership } from './media-ownership.ts';
import { streamUpload } from './media-upload.ts';
import { forwardableQueryOf, jsonOf, writeGraphAnswer } from '../graph-passthrough.ts';
import type { GraphUpstream } from '../graph-upstream.ts';

const GRAPH_VERSION = /^v\d+\.\d+$/;
/** What a media id may look like before it becomes part of a Redis key or a Graph path (Meta's are digits). */
const MEDIA_ID = /^[A-Za-z0-9_.-]{1,128}$/;
/** Headers of Meta's download worth passing on; hop-by-hop and Meta's own cookies are not. */
const DOWNLOAD_HEADERS = ['content-type', 'content-length', 'content-disposition', 'etag', 'last-modified', 'cache-control'];

export interface MediaRoutesDeps {
  stacks: StackDirectory;
  ownership: MediaOwnership;
  /** The ingress's one client of Meta's Graph API (shared with the graph routes); it calls META_GRAPH_VERSION whatever version the client's path names. */
  upstream: GraphUpstream;
  /** Told every piece of media moved, so its buffers are freed as the transfer goes. */
  garbage: MediaGarbage;
  logger: Logger;
}

/** The media id of the path: `:mediaId` on the short forms, `:id` on the Graph node path the graph router shares. */
function mediaIdParam(req: Request): string {
  const params = req.params as { mediaId?: string; id?: string };
  return String(params.mediaId ?? params.id);
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
function mediaIdOf(body: Buffer): string | undefined {
  const id = (jsonOf(body) as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && MEDIA_ID.test(id) ? id : undefined;
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

  /** Meta failed (UpstreamFailure) or broke off mid-answer: the gateway's 502/504, or a cut connection once Meta's answer has begun. */
  const failed = (res: Response, error: unknown, what: string, method: string) => {
    if (res.headersSent) return void res.destroy();
    sendGatewayError(res, deps.upstream.failureOf(error, what, method));
  };
  /** A retrieve or delete of the media id, with the client's query and the stack's token. */
  const call = (method: 'GET' | 'DELETE', req: Request, res: Response, mediaId: string, what: string) =>
    deps.upstream.json('graph_media', { method, path: encodeURIComponent(mediaId), query: forwardableQueryOf(req.originalUrl), token: res.locals.stack.accessToken }, what);

  const upload: RequestHandler = async (req, res) => {
    const stack = res.locals.stack;
    const phoneNumberId = (req.params as { phoneNumberId?: string }).phoneNumberId;
    if (phoneNumberId !== undefined && phoneNumberId !== stack.phoneNumberId) {
      discardRest(req);
      return sendGatewayError(res, gatewayErrors.wrongPhoneNumber(phoneNumberId));
    }
    const path = `${encodeURIComponent(stack.phoneNumberId)}/media`;
    const outcome = await streamUpload(
      req,
      (contentType, body) => deps.upstream.upload('graph_media_upload', path, stack.accessToken, contentType, body, 'the media upload'),
      (bytes) => deps.garbage.count(bytes),
    );
    if (outcome.kind === 'aborted') return void res.destroy();
    // Refused, failed or answered early by Meta: the rest of the client's upload is not wanted.
    discardRest(req);
    if (outcome.kind === 'refused' || outcome.kind === 'failed') return sendGatewayError(res, outcome.error);
    const answer = outcome.answer;
    if (answer.status >= 200 && answer.status < 300) {
      const id = mediaIdOf(answer.body);
      if (id !== undefined) {
        // Meta has the file either way: an id the stack cannot retrieve later beats losing the answer.
        await deps.ownership
          .record(id, tenantOf(stack))
          .catch((error: Error) => deps.logger.error({ stackId: stack.id, mediaId: id, err: error.message }, 'media ownership not recorded'));
      }
    }
    writeGraphAnswer(res, answer);
  };

  const retrieve: RequestHandler = async (req, res) => {
    const mediaId = mediaIdParam(req);
    try {
      const answer = await call('GET', req, res, mediaId, 'the media retrieve');
      if (answer.status !== 200) return writeGraphAnswer(res, answer);
      const body = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
      if (typeof body['url'] === 'string') body['url'] = gatewayDownloadUrl(req, mediaId);
      res.status(200).json(body);
    } catch (error) {
      failed(res, error, 'the media retrieve', 'GET');
    }
  };

  const download: RequestHandler = async (req, res) => {
    const stack = res.locals.stack;
    const mediaId = mediaIdParam(req);
    try {
      // Meta's URL lasts 5 minutes: each download asks for a fresh one.
      const meta = await deps.upstream.json('graph_media', { method: 'GET', path: encodeURIComponent(mediaId), token: stack.accessToken }, 'the media download');
      if (meta.status !== 200) return writeGraphAnswer(res, meta);
      const url = (JSON.parse(meta.body.toString('utf8')) as { url?: unknown }).url;
      if (typeof url !== 'string') return sendGatewayError(res, gatewayErrors.internal());
      const file = await deps.upstream.download('graph_media_download', url, stack.accessToken, 'the media download');
      const headers: Record<string, string> = {};
      for (const name of DOWNLOAD_HEADERS) {
        const value = file.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      res.writeHead(file.statusCode, headers);
      file.body.on('data', (chunk: Buffer) => deps.garbage.count(chunk.length));
      // Streamed: a client that stops reading slows Meta's side too; one that leaves aborts it.
      await pipeline(file.body, res);
    } catch (error) {
      failed(res, error, 'the media download', 'GET');
    }
  };

  const remove: RequestHandler = async (req, res) => {
    const mediaId = mediaIdParam(req);
    try {
      const answer = await call('DELETE', req, res, mediaId, 'the media delete');
      if (answer.status >= 200 && answer.status < 300) await deps.ownership.forget(mediaId).catch(() => undefined);
      writeGraphAnswer(res, answer);
    } catch (error) {
      failed(res, error, 'the media delete', 'DELETE');
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
