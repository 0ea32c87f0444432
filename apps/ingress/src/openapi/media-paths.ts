import { errorResponse, ok } from './schemas.ts';
import type { Operation, Parameter, PathItem } from './types.ts';

const CLIENT_SECURITY: Array<Record<string, string[]>> = [{ clientBearer: [] }, { clientApiKey: [] }];
const TAGS = ['Client: Graph pass-through'];
const pathParam = (name: string, description: string): Parameter => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const VERSION = pathParam('version', 'Graph API version, e.g. v24.0; passed on to Meta.');
const MEDIA_ID = pathParam('mediaId', 'A media id the stack uploaded or received in its own webhooks; any other gets 403.');

const GATEWAY_ANSWERS = {
  '401': errorResponse('Missing or unknown API key.'),
  '403': errorResponse("A media id (or phone number id) that is not the stack's (code 200): the gateway's tenancy, whatever Meta would allow."),
  '502': errorResponse('Meta could not be reached (code 2).'),
  '504': errorResponse('Meta did not answer within GRAPH_PASSTHROUGH_TIMEOUT_MS, or an upload or download stalled for MEDIA_IDLE_TIMEOUT_MS (code 2).'),
};

const metadata = {
  type: 'object',
  additionalProperties: true,
  properties: {
    messaging_product: { const: 'whatsapp' },
    url: { type: 'string', description: "The gateway's download URL (`/media/{mediaId}/download`): works with the stack's API key." },
    mime_type: { type: 'string' },
    sha256: { type: 'string' },
    file_size: { type: ['integer', 'string'] },
    id: { type: 'string' },
  },
};

function upload(graph: boolean): Operation {
  return {
    operationId: `uploadMedia${graph ? 'GraphPath' : ''}`,
    summary: 'Upload media (streamed to Meta)',
    description:
      "Multipart `file`, `type` (its MIME type) and `messaging_product=whatsapp`, as to Meta. Meta's limits are enforced before anything reaches Meta where the request allows: audio and video 16 MB, documents 100 MB, images 5 MB, stickers 500 KB; an unsupported type is 400. The file is streamed, never held; a file that overruns its type's limit mid-stream aborts the upload to Meta. Answers Meta's `{id}`, which the stack may then retrieve, download, delete and send.",
    tags: TAGS,
    security: CLIENT_SECURITY,
    parameters: graph ? [VERSION, pathParam('phoneNumberId', "Must be the stack's own phone number id.")] : [],
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['file', 'type', 'messaging_product'],
            properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' }, type: { type: 'string' }, messaging_product: { const: 'whatsapp' } },
          },
        },
      },
    },
    responses: {
      '200': ok("Meta's answer.", { type: 'object', properties: { id: { type: 'string' } } }),
      '400': errorResponse("Not multipart, an unsupported type (code 100), or Meta's 4xx passed through."),
      '413': errorResponse("The file is larger than its type's limit, or the request than the largest limit (code 100)."),
      ...GATEWAY_ANSWERS,
    },
  };
}

function retrieve(id: string, parameters: Parameter[]): Operation {
  return {
    operationId: id,
    summary: "Retrieve a media's metadata",
    description: "Meta's answer with its `url` rewritten to the gateway's download URL. `phone_number_id` in the query is passed on.",
    tags: TAGS,
    security: CLIENT_SECURITY,
    parameters,
    responses: { '200': ok("Meta's answer, `url` rewritten.", metadata), '400': errorResponse("Meta's 4xx, passed through."), ...GATEWAY_ANSWERS },
  };
}

function remove(id: string, parameters: Parameter[]): Operation {
  return {
    operationId: id,
    summary: 'Delete a media',
    description: "Meta's `{success: true}`; the gateway forgets the id.",
    tags: TAGS,
    security: CLIENT_SECURITY,
    parameters,
    responses: {
      '200': ok("Meta's answer.", { type: 'object', properties: { success: { type: 'boolean' } } }),
      '400': errorResponse("Meta's 4xx, passed through."),
      ...GATEWAY_ANSWERS,
    },
  };
}

/**
 * The media pass-through. `GET`/`DELETE /{version}/{id}` serve a media id of the stack there too; that
 * path is documented once, in graph-paths.ts.
 */
export const mediaPaths: Record<string, PathItem> = {
  '/{version}/{phoneNumberId}/media': { post: upload(true) },
  '/media': { post: upload(false) },
  '/media/{mediaId}': { get: retrieve('retrieveMedia', [MEDIA_ID]), delete: remove('deleteMedia', [MEDIA_ID]) },
  '/media/{mediaId}/download': {
    get: {
      operationId: 'downloadMedia',
      summary: "Download a media's bytes (streamed from Meta)",
      description: "Asks Meta for a fresh download URL and streams the file with Meta's content-type, content-length and content-disposition; never held whole.",
      tags: TAGS,
      security: CLIENT_SECURITY,
      parameters: [MEDIA_ID],
      responses: {
        '200': { description: 'The file.', content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
        '400': errorResponse("Meta's 4xx, passed through."),
        ...GATEWAY_ANSWERS,
      },
    },
  },
};
