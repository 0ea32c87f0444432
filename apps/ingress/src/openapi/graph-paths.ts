import { errorResponse, json } from './schemas.ts';
import type { Operation, Parameter, PathItem } from './types.ts';

const CLIENT_SECURITY: Array<Record<string, string[]>> = [{ clientBearer: [] }, { clientApiKey: [] }];
const pathParam = (name: string, description: string): Parameter => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const VERSION = pathParam('version', 'Graph API version, e.g. v24.0; the gateway calls Meta with META_GRAPH_VERSION.');
const anyJson = { type: 'object', additionalProperties: true };
const metaAnswer = { description: "Meta's answer: status, content type and body as Meta gave them.", content: json(anyJson) };

/** The answers every pass-through operation may give besides Meta's own. */
const GATEWAY_ANSWERS = {
  '401': errorResponse('Missing or unknown API key.'),
  '403': errorResponse("An id that is not the stack's (code 200): the gateway's tenancy, whatever Meta would allow."),
  '502': errorResponse('Meta could not be reached (code 2).'),
  '504': errorResponse('Meta did not answer within GRAPH_PASSTHROUGH_TIMEOUT_MS (code 2); a change may or may not have been made.'),
};

function passThrough(operationId: string, summary: string, description: string, parameters: Parameter[], body = false): Operation {
  return {
    operationId,
    summary,
    description,
    tags: ['Client: Graph pass-through'],
    security: CLIENT_SECURITY,
    parameters,
    ...(body ? { requestBody: { required: true, content: json(anyJson) } } : {}),
    responses: { '200': metaAnswer, '400': errorResponse("Meta's 4xx, passed through."), ...GATEWAY_ANSWERS },
  };
}

const WABA = pathParam('wabaId', "Must be the stack's own WABA id.");
const PHONE = pathParam('phoneNumberId', "Must be the stack's own phone number id.");
const CACHE_NOTE = ' A create with a category writes the category cache at once (source `api`); a delete evicts every language of the name, or the `hsm_id` one.';

function templateOperations(graph: boolean): PathItem {
  const suffix = graph ? 'GraphPath' : '';
  const params = graph ? [VERSION, WABA] : [];
  return {
    get: passThrough(
      `listTemplates${suffix}`,
      "List the WABA's message templates",
      "Meta's query (`fields`, `limit`, `after`, `name`, `status`, …) passed on; paging links lead back to the gateway.",
      params,
    ),
    post: passThrough(`createTemplate${suffix}`, 'Create a message template', `Answers Meta's \`{id, status, category}\`.${CACHE_NOTE}`, params, true),
    delete: passThrough(
      `deleteTemplate${suffix}`,
      'Delete a message template by name (every language) or by `name` and `hsm_id`',
      `An \`hsm_id\` must be a template of the stack's WABA.${CACHE_NOTE}`,
      params,
    ),
  };
}

function profileOperations(graph: boolean): PathItem {
  const suffix = graph ? 'GraphPath' : '';
  const params = graph ? [VERSION, PHONE] : [];
  return {
    get: passThrough(`getBusinessProfile${suffix}`, "Read the phone number's business profile", 'With `?fields=about,address,…`.', params),
    post: passThrough(`setBusinessProfile${suffix}`, "Set the phone number's business profile", '`{"messaging_product":"whatsapp", "about": …}`.', params, true),
  };
}

const NODE = [VERSION, pathParam('id', "The stack's phone number id, its WABA id, a template id of its WABA or a media id it owns (media-paths.ts); any other id gets 403.")];

/** Graph calls passed through to Meta with the stack's token, for the stack's own resources only. */
export const graphPaths: Record<string, PathItem> = {
  '/{version}/{wabaId}/message_templates': templateOperations(true),
  '/message_templates': templateOperations(false),
  '/{version}/{phoneNumberId}/whatsapp_business_profile': profileOperations(true),
  '/whatsapp_business_profile': profileOperations(false),
  '/{version}/{id}': {
    get: passThrough(
      'getGraphNode',
      'Read the phone number (quality_rating, throughput, whatsapp_business_manager_messaging_limit, …), the WABA, a template, or a media (its `url` rewritten to the gateway’s download)',
      'An unknown template id makes the gateway list its WABA once before it answers 403.',
      NODE,
    ),
    post: passThrough('editGraphNode', 'Edit a template (category, components, TTL)', 'A new category is written to the category cache at once (source `api`).', NODE, true),
    delete: passThrough('deleteGraphNode', 'DELETE on one of the stack’s nodes', 'Passed to Meta for the stack’s own ids; 403 for any other.', NODE),
  },
};
