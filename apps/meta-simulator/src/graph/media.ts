import type { Request, RequestHandler } from 'express';
import busboy from 'busboy';
import { errors, invalidToken, metaError, MetaError, sendMetaError, unknownObject } from '../meta-errors.ts';
import { authorisePhone, authoriseWaba } from './auth.ts';
import type { GraphDeps } from './deps.ts';
import { describeLimit, MAX_MEDIA_BYTES, mediaLimitOf, SUPPORTED_MIME_TYPES } from './media-limits.ts';
import { MediaTooLarge, type MediaStore, type StoredMedia } from './media-store.ts';
import { graphEndpoint, type GraphReply } from './pipeline.ts';

export const mediaErrors = {
  unsupportedType: (type: string) =>
    metaError(400, 100, 'Invalid parameter', `Param file must be a file with one of the following types: ${SUPPORTED_MIME_TYPES.join(', ')}. Received ${type}.`),
  tooLarge: (type: string, maxBytes: number) => metaError(413, 100, 'Invalid parameter', `The file is larger than the ${describeLimit(maxBytes)} limit of ${type}.`),
  notMultipart: () => errors.invalidParameter('The request must be multipart/form-data with the fields file, type and messaging_product.'),
};

function baseUrlOf(req: Request): string {
  return `${req.protocol}://${req.get('host')}`;
}

/** Reads the multipart upload, streaming its file to the store; fields may come in any order. */
function receiveUpload(req: Request, store: MediaStore, phoneNumberId: string): Promise<GraphReply> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 64 * 1024 } });
  } catch {
    return Promise.reject(mediaErrors.notMultipart());
  }
  return new Promise<GraphReply>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let stored: Promise<StoredMedia> | undefined;
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || stored) return void stream.resume();
      // The declared type's limit when `type` came first; else the largest, checked again at the end.
      const declared = fields['type'] !== undefined ? mediaLimitOf(fields['type']) : undefined;
      stored = store.put(phoneNumberId, declared?.mimeType ?? info.mimeType, stream, declared?.maxBytes ?? MAX_MEDIA_BYTES);
      stored.catch(() => undefined);
    });
    parser.on('error', () => reject(mediaErrors.notMultipart()));
    req.on('error', reject);
    parser.on('close', () => void finish().then(resolve, reject));
    req.pipe(parser);

    async function finish(): Promise<GraphReply> {
      let media: StoredMedia | undefined;
      try {
        media = await stored;
      } catch (error) {
        if (error instanceof MediaTooLarge) throw mediaErrors.tooLarge(fields['type'] ?? 'this type', error.maxBytes);
        throw error;
      }
      const refuse = async (error: MetaError) => {
        if (media) await store.delete(media.id);
        throw error;
      };
      if (fields['messaging_product'] !== 'whatsapp') return refuse(errors.invalidParameter('The parameter messaging_product is required and must be "whatsapp".'));
      const type = fields['type'];
      if (type === undefined || type === '') return refuse(errors.missingParameter('The parameter type is required.'));
      const limit = mediaLimitOf(type);
      if (!limit) return refuse(mediaErrors.unsupportedType(type));
      if (!media) return refuse(errors.missingParameter('The parameter file is required.'));
      if (media.fileSize > limit.maxBytes) return refuse(mediaErrors.tooLarge(type, limit.maxBytes));
      store.retype(media.id, limit.mimeType);
      return { status: 200, body: { id: media.id } };
    }
  });
}

/** The media an id names, readable with the request's token (any token of the uploading number's WABA). */
function authorisedMedia(deps: GraphDeps, req: Request, id: string, method: 'get' | 'post'): StoredMedia {
  const media = deps.media.get(id);
  const account = media ? deps.state.accounts.get(media.phoneNumberId) : undefined;
  if (!media || !account) throw unknownObject(id, method);
  authoriseWaba(deps.state, req, account.wabaId);
  // `?phone_number_id=` asks Meta to check the media belongs to that number.
  const phone = req.query['phone_number_id'];
  if (typeof phone === 'string' && phone !== media.phoneNumberId) throw unknownObject(id, method);
  return media;
}

/** POST /{phone_number_id}/media: multipart `file`, `type` (MIME type), `messaging_product`. */
export function mediaUploadRoute(deps: GraphDeps): RequestHandler {
  return graphEndpoint('media', deps, async (req, record) => {
    const phoneNumberId = record.phoneNumberId ?? '';
    authorisePhone(deps.state, req, phoneNumberId);
    const reply = await receiveUpload(req, deps.media, phoneNumberId);
    const id = (reply.body as { id: string }).id;
    const media = deps.media.get(id)!;
    record.body = { upload: { id, mime_type: media.mimeType, file_size: media.fileSize } };
    return reply;
  });
}

/** Only ids of stored media reach the media handlers; anything else is left to the routes after them. */
export function onlyMedia(store: MediaStore): RequestHandler {
  return (req, _res, next) => next(store.get(String(req.params['id'])) ? undefined : 'route');
}

/** GET /{media_id}: the metadata and a download URL valid for 5 minutes. */
export function mediaRetrieveRoute(deps: GraphDeps): RequestHandler {
  return graphEndpoint('media', deps, (req, record) => {
    const media = authorisedMedia(deps, req, String(req.params['id']), 'get');
    record.phoneNumberId = media.phoneNumberId;
    record.body = { retrieve: media.id };
    return {
      status: 200,
      body: {
        messaging_product: 'whatsapp',
        url: deps.media.downloadUrl(baseUrlOf(req), media),
        mime_type: media.mimeType,
        sha256: media.sha256,
        file_size: media.fileSize,
        id: media.id,
      },
    };
  });
}

/** DELETE /{media_id}. */
export function mediaDeleteRoute(deps: GraphDeps): RequestHandler {
  return graphEndpoint('media', deps, async (req, record) => {
    const media = authorisedMedia(deps, req, String(req.params['id']), 'post');
    record.phoneNumberId = media.phoneNumberId;
    record.body = { delete: media.id };
    await deps.media.delete(media.id);
    return { status: 200, body: { success: true } };
  });
}

/** GET /whatsapp_business/attachments/?mid&ext&hash: the bytes, streamed, with the token of the media's WABA. */
export function mediaDownloadRoute(deps: GraphDeps): RequestHandler {
  return (req, res) => {
    const q = (name: string) => {
      const value = req.query[name];
      return typeof value === 'string' ? value : '';
    };
    const found = deps.media.fromDownload(q('mid'), q('ext'), q('hash'));
    try {
      if (found === 'expired') throw metaError(404, 100, 'Invalid parameter', 'The download URL has expired; retrieve the media again for a new one.');
      if (!found) throw metaError(404, 100, 'Invalid parameter', 'Unknown download URL.');
      const account = deps.state.accounts.get(found.phoneNumberId);
      if (!account) throw invalidToken();
      authoriseWaba(deps.state, req, account.wabaId);
    } catch (error) {
      if (error instanceof MetaError) return sendMetaError(res, error);
      throw error;
    }
    res.writeHead(200, { 'content-type': found.mimeType, 'content-length': String(found.fileSize), 'content-disposition': `attachment; filename=${found.id}` });
    deps.media.open(found).pipe(res);
  };
}
