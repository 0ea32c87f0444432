import { ROUTE_REASONS } from '@gw/contracts';
import { errorResponse, json, ok, ref } from './schemas.ts';
import type { Operation, Parameter, PathItem } from './types.ts';

const CLIENT_SECURITY: Array<Record<string, string[]>> = [{ clientBearer: [] }, { clientApiKey: [] }];
const pathParam = (name: string, description: string): Parameter => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });

const ROUTE_HEADERS = {
  'x-gateway-route': { description: 'The API that carried the message: marketing_messages or cloud_api.', schema: { enum: ['marketing_messages', 'cloud_api'] } },
  'x-gateway-route-reason': {
    description:
      "Why that route; the README's table explains each. 2026 additions: status_update (mark-as-read, typing), encrypted (/messages_encrypted), not_individual (group sends never try MM), max_price (bid_spec: MM only, no fallback), mm_pass_through (131049, 131056, 130429 answered as given), invalid_parameter_fallback (code 100: Cloud's own answer, nothing learned), cloud_marketing_off (the WABA turned marketing off on the Cloud API: no fallback).",
    schema: { enum: [...ROUTE_REASONS] },
  },
  'x-gateway-job-id': {
    description: 'The send: `<queue job>.<item>`. The sends received in one event-loop tick share a send-batch job; the part before the last dot is its id in Bull Board.',
    schema: { type: 'string' },
  },
  'x-gateway-mm-error-code': { description: 'Meta error code of the MM attempt that led to a fallback.', schema: { type: 'string' } },
  'x-gateway-idempotent-replay': { description: '"true" when the answer is the stored answer of an earlier request with the same Idempotency-Key.', schema: { type: 'string' } },
};

function encryptedOperation(graph: boolean): Operation {
  return {
    operationId: `sendEncryptedMessage${graph ? 'GraphPath' : ''}`,
    summary: 'Send an encrypted message (passed to the Cloud API unread, never routed)',
    description:
      '`{"messaging_product":"whatsapp","encrypted_contents":"<JWE>"}` goes to the Cloud API\'s /messages_encrypted as sent; the gateway cannot read the template inside, so it does not route it (reason `encrypted`).',
    tags: ['Client'],
    security: CLIENT_SECURITY,
    parameters: graph
      ? [pathParam('version', 'Graph API version, e.g. v24.0 (accepted for compatibility).'), pathParam('phoneNumberId', "Must be the stack's own phone number id.")]
      : [],
    requestBody: {
      required: true,
      content: json({
        type: 'object',
        required: ['messaging_product', 'encrypted_contents'],
        additionalProperties: true,
        properties: { messaging_product: { const: 'whatsapp' }, encrypted_contents: { type: 'string' } },
      }),
    },
    responses: {
      '200': { description: "Meta's answer.", headers: ROUTE_HEADERS, content: json(ref('MetaSendResponse')) },
      '400': errorResponse('Not a JSON object, or a Meta 4xx passed through.'),
      '401': errorResponse('Missing or unknown API key.'),
      '403': errorResponse("The path's phone number id is not the stack's."),
    },
  };
}

function sendOperation(endpoint: 'messages' | 'marketing_messages', graph: boolean): Operation {
  const direct = endpoint === 'marketing_messages';
  return {
    operationId: `send${direct ? 'Marketing' : ''}Message${graph ? 'GraphPath' : ''}`,
    summary: direct ? 'Send via the Marketing Messages API only (no fallback)' : 'Send a message; the gateway picks the best route',
    description: direct
      ? 'Goes to the MM API only and never falls back: for clients that want strict control.'
      : 'Template messages known to be marketing go to the MM API; others via the Cloud API; unknown ones are checked (MM first, Cloud on refusal). Mark-as-read and typing indicators (`status: "read"` + `message_id`, no `to`) go to the Cloud API unrouted; `recipient` (a business-scoped user id) may stand in for `to`; group sends never try MM; max-price sends (`bid_spec`) go to MM only. Every other field passes through unchanged. Exactly one answer: Meta\'s, with the route in the x-gateway-* headers.',
    tags: ['Client'],
    security: CLIENT_SECURITY,
    parameters: [
      ...(graph
        ? [pathParam('version', 'Graph API version, e.g. v24.0 (accepted for compatibility).'), pathParam('phoneNumberId', "Must be the stack's own phone number id.")]
        : []),
      {
        name: 'Idempotency-Key',
        in: 'header',
        description: 'Repeat a request with the same key to get the first answer instead of sending again (1 to 255 characters).',
        schema: { type: 'string', maxLength: 255 },
      },
    ],
    requestBody: { required: true, content: json(ref('MessagePayload')) },
    responses: {
      '200': { description: "Meta's answer (the message id in messages[0].id).", headers: ROUTE_HEADERS, content: json(ref('MetaSendResponse')) },
      '400': errorResponse('Invalid JSON or an invalid field (named in error_data.details), or a Meta 4xx passed through.'),
      '401': errorResponse('Missing or unknown API key.'),
      '403': errorResponse("The path's phone number id is not the stack's."),
      '413': errorResponse('Body over the limit.'),
      '422': errorResponse('The Idempotency-Key was used with another body.'),
      '429': errorResponse(
        "The phone number's pacing has no capacity (130429), or the stack is over the gateway's send rate or sends in flight (4, with Retry-After); nothing was sent.",
      ),
      '503': errorResponse('The queue or Meta is unreachable; nothing was sent.'),
      '504': errorResponse('No result in time, or Meta timed out after the request left (outcome unknown; not resent).'),
    },
  };
}

export const clientPaths: Record<string, PathItem> = {
  '/messages': { post: sendOperation('messages', false) },
  '/marketing_messages': { post: sendOperation('marketing_messages', false) },
  '/{version}/{phoneNumberId}/messages': { post: sendOperation('messages', true) },
  '/{version}/{phoneNumberId}/marketing_messages': { post: sendOperation('marketing_messages', true) },
  '/messages_encrypted': { post: encryptedOperation(false) },
  '/{version}/{phoneNumberId}/messages_encrypted': { post: encryptedOperation(true) },
  '/templates/warmup': {
    post: {
      operationId: 'startWarmup',
      summary: "Warm the category cache from Meta's template list (all, or the named templates)",
      tags: ['Client'],
      security: CLIENT_SECURITY,
      requestBody: { content: json(ref('WarmupRequest')) },
      responses: {
        '202': ok('Queued.', ref('WarmupAccepted')),
        '400': errorResponse('Invalid body.'),
        '401': errorResponse('Missing or unknown API key.'),
        '429': errorResponse('The stack already has WARMUP_MAX_QUEUED_PER_STACK warm-ups queued or running (4, with Retry-After).'),
        '503': errorResponse('The warm-up queue is unavailable.'),
      },
    },
  },
  '/templates/warmup/{id}': {
    get: {
      operationId: 'getWarmup',
      summary: 'Progress and summary of a warm-up job of this stack',
      tags: ['Client'],
      security: CLIENT_SECURITY,
      parameters: [pathParam('id', 'The warm-up job id.')],
      responses: {
        '200': ok('The job.', ref('WarmupStatus')),
        '401': errorResponse('Missing or unknown API key.'),
        '404': errorResponse('No such job for this stack.'),
      },
    },
  },
  '/templates/categories': {
    get: {
      operationId: 'listCategories',
      summary: "What the category cache knows for the stack's WABA",
      tags: ['Client'],
      security: CLIENT_SECURITY,
      responses: { '200': ok('The cached categories.', ref('CategoryListing')), '401': errorResponse('Missing or unknown API key.') },
    },
  },
  '/templates/categories/{name}/{language}': {
    delete: {
      operationId: 'evictCategory',
      summary: 'Forget the cached category of one template',
      tags: ['Client'],
      security: CLIENT_SECURITY,
      parameters: [pathParam('name', 'Template name.'), pathParam('language', 'Language code, e.g. en_US.')],
      responses: {
        '200': ok('Evicted.', { type: 'object', properties: { deleted: { const: true }, name: { type: 'string' }, language: { type: 'string' } } }),
        '401': errorResponse('Missing or unknown API key.'),
        '404': errorResponse('Nothing cached for it.'),
      },
    },
  },
  '/messages/{wamid}': {
    get: {
      operationId: 'getMessageAudit',
      summary: 'The audit of one message of this stack: route, reason, calls to Meta, statuses, clicks, pricing',
      tags: ['Client'],
      security: CLIENT_SECURITY,
      parameters: [pathParam('wamid', 'The message id Meta gave the send.')],
      responses: {
        '200': ok('The audit entry.', ref('AuditEntry')),
        '401': errorResponse('Missing or unknown API key.'),
        '404': errorResponse("Unknown, another stack's, or past LEDGER_RETENTION_SECONDS."),
        '503': errorResponse('The audit store is unavailable.'),
      },
    },
  },
  '/analytics/routes': {
    get: {
      operationId: 'getRouteAnalytics',
      summary: 'Sends, fallbacks, delivered, read, failed, clicked and cost per route (MM, Cloud) and template, by hour or day',
      description: 'JSON `{data:[rows]}`, or CSV (one column per fallback reason) with `Accept: text/csv`. Kept ANALYTICS_RETENTION_SECONDS (90 days).',
      tags: ['Client'],
      security: CLIENT_SECURITY,
      parameters: [
        { name: 'from', in: 'query', description: 'ISO 8601 or epoch ms, inclusive; default 24 hours before `to`.', schema: { type: 'string' } },
        { name: 'to', in: 'query', description: 'ISO 8601 or epoch ms, exclusive; default now. At most 93 days after `from`.', schema: { type: 'string' } },
        { name: 'template', in: 'query', description: '`name` (every language) or `name:language`.', schema: { type: 'string' } },
        { name: 'granularity', in: 'query', schema: { enum: ['hour', 'day'], default: 'hour' } },
      ],
      responses: {
        '200': {
          description: 'The rows, sorted by bucket, route, template.',
          content: { ...json({ type: 'object', properties: { data: { type: 'array', items: ref('RouteAnalyticsRow') } } }), 'text/csv': { schema: { type: 'string' } } },
        },
        '400': errorResponse('A bad from, to, template or granularity.'),
        '401': errorResponse('Missing or unknown API key.'),
        '503': errorResponse('The audit store is unavailable.'),
      },
    },
  },
  '/webhooks/meta': {
    get: {
      operationId: 'verifyMetaWebhook',
      summary: "Meta's webhook verification handshake",
      tags: ['Meta webhooks'],
      parameters: ['hub.mode', 'hub.verify_token', 'hub.challenge'].map((name) => ({ name, in: 'query' as const, required: true, schema: { type: 'string' } })),
      responses: {
        '200': { description: 'hub.challenge, as text.', content: { 'text/plain': { schema: { type: 'string' } } } },
        '403': errorResponse('Wrong mode or verify token.'),
      },
    },
    post: {
      operationId: 'receiveMetaWebhook',
      summary: "Meta's webhooks: checked (X-Hub-Signature-256), stored, then forwarded to stacks",
      tags: ['Meta webhooks'],
      parameters: [{ name: 'X-Hub-Signature-256', in: 'header', required: true, schema: { type: 'string' } }],
      requestBody: { required: true, content: json({ type: 'object', additionalProperties: true }) },
      responses: {
        '200': { description: 'Stored.', content: { 'text/plain': { schema: { const: 'EVENT_RECEIVED' } } } },
        '401': errorResponse('Missing or wrong signature.'),
        '413': errorResponse('Body over 3 MB.'),
        '503': errorResponse('Not configured (META_APP_SECRET unset) or not stored (Redis); Meta retries.'),
      },
    },
  },
};
