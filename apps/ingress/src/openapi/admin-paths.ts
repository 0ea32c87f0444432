import { errorResponse, json, ok, ref } from './schemas.ts';
import type { Operation, PathItem } from './types.ts';

const ADMIN: Array<Record<string, string[]>> = [{ adminBearer: [] }];
const idParam = { name: 'id', in: 'path' as const, required: true, schema: { type: 'string' } };
const adminErrors = {
  '401': errorResponse('Missing or wrong admin token.'),
  '503': errorResponse('ADMIN_TOKEN is unset, or Redis is unavailable.'),
};
const storeErrors = {
  ...adminErrors,
  '503': errorResponse('ADMIN_TOKEN or STACKS_ENCRYPTION_KEY is unset (stacks come from STACKS_FILE only), or Redis is unavailable.'),
};

function stackOp(operation: Omit<Operation, 'tags' | 'security'>): Operation {
  return { ...operation, tags: ['Admin: stacks'], security: ADMIN };
}

export const adminPaths: Record<string, PathItem> = {
  '/admin/webhooks/dead-letters': {
    get: {
      operationId: 'listDeadLetters',
      summary: 'Parked webhook deliveries, newest first',
      tags: ['Admin: webhooks'],
      security: ADMIN,
      parameters: [
        { name: 'stackId', in: 'query', schema: { type: 'string' } },
        { name: 'from', in: 'query', description: 'ISO 8601 or epoch ms (time parked).', schema: { type: 'string' } },
        { name: 'to', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: {
        '200': ok('Dead letters.', { type: 'object', properties: { data: { type: 'array', items: ref('DeadLetter') }, paging: { type: 'object' } } }),
        '400': errorResponse('Bad query.'),
        ...adminErrors,
      },
    },
  },
  '/admin/webhooks/dead-letters/replay': {
    post: {
      operationId: 'replayDeadLetters',
      summary: "Replay a stack's dead letters (optionally within a time range)",
      tags: ['Admin: webhooks'],
      security: ADMIN,
      requestBody: { required: true, content: json(ref('DeadLetterReplayRequest')) },
      responses: {
        '200': ok('Counts.', { type: 'object', properties: { matched: { type: 'integer' }, replayed: { type: 'integer' }, failed: { type: 'integer' } } }),
        '400': errorResponse('Bad body.'),
        ...adminErrors,
      },
    },
  },
  '/admin/webhooks/dead-letters/{id}/replay': {
    post: {
      operationId: 'replayDeadLetter',
      summary: 'Replay one dead letter (same webhook-id)',
      tags: ['Admin: webhooks'],
      security: ADMIN,
      parameters: [idParam],
      responses: {
        '200': ok('Replayed.', { type: 'object', properties: { id: { type: 'string' }, replayed: { const: true } } }),
        '404': errorResponse('No such dead letter.'),
        ...adminErrors,
      },
    },
  },
  '/admin/webhooks/inbound-dead-letters': {
    get: {
      operationId: 'listInboundDeadLetters',
      summary: "Meta's webhooks that failed processing every attempt, newest first",
      tags: ['Admin: webhooks'],
      security: ADMIN,
      parameters: [
        { name: 'from', in: 'query', description: 'ISO 8601 or epoch ms (time failed).', schema: { type: 'string' } },
        { name: 'to', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: {
        '200': ok('Inbound dead letters.', { type: 'object', properties: { data: { type: 'array', items: ref('InboundDeadLetter') }, paging: { type: 'object' } } }),
        '400': errorResponse('Bad query.'),
        ...adminErrors,
      },
    },
  },
  '/admin/webhooks/inbound-dead-letters/replay': {
    post: {
      operationId: 'replayInboundDeadLetters',
      summary: 'Process again every inbound dead letter (optionally within a time range)',
      tags: ['Admin: webhooks'],
      security: ADMIN,
      requestBody: { required: false, content: json({ type: 'object', properties: { from: { type: ['string', 'integer'] }, to: { type: ['string', 'integer'] } } }) },
      responses: {
        '200': ok('Counts.', { type: 'object', properties: { matched: { type: 'integer' }, replayed: { type: 'integer' }, failed: { type: 'integer' } } }),
        '400': errorResponse('Bad body.'),
        ...adminErrors,
      },
    },
  },
  '/admin/webhooks/inbound-dead-letters/{id}/replay': {
    post: {
      operationId: 'replayInboundDeadLetter',
      summary: 'Process one inbound dead letter again',
      tags: ['Admin: webhooks'],
      security: ADMIN,
      parameters: [idParam],
      responses: {
        '200': ok('Replayed.', { type: 'object', properties: { id: { type: 'string' }, replayed: { const: true } } }),
        '404': errorResponse('No such inbound dead letter.'),
        ...adminErrors,
      },
    },
  },
  '/admin/stacks': {
    get: stackOp({
      operationId: 'listStacks',
      summary: 'Every stack (no secrets)',
      responses: { '200': ok('Stacks.', { type: 'object', properties: { data: { type: 'array', items: ref('Stack') } } }), ...storeErrors },
    }),
    post: stackOp({
      operationId: 'createStack',
      summary: 'Create a stack; its API key is shown once',
      description: 'Give `apiKey` to import an existing key; otherwise one is generated. The Meta token and webhook secret are stored encrypted (AES-256-GCM).',
      requestBody: { required: true, content: json(ref('NewStack')) },
      responses: {
        '201': ok('Created; `apiKey` appears only in this answer.', ref('StackWithApiKey')),
        '400': errorResponse('Invalid field (named in error_data.details).'),
        '409': errorResponse('The id, phone number id or API key is taken.'),
        ...storeErrors,
      },
    }),
  },
  '/admin/stacks/{id}': {
    get: stackOp({
      operationId: 'getStack',
      summary: 'One stack (no secrets)',
      parameters: [idParam],
      responses: { '200': ok('The stack.', ref('Stack')), '404': errorResponse('No such stack.'), ...storeErrors },
    }),
    patch: stackOp({
      operationId: 'updateStack',
      summary: 'Change some fields; null removes the webhook URL or secret',
      parameters: [idParam],
      requestBody: { required: true, content: json(ref('StackChange')) },
      responses: {
        '200': ok('The stack after the change.', ref('Stack')),
        '400': errorResponse('Invalid field.'),
        '404': errorResponse('No such stack.'),
        '409': errorResponse('The phone number id belongs to another stack.'),
        ...storeErrors,
      },
    }),
    delete: stackOp({
      operationId: 'deleteStack',
      summary: 'Delete a stack (its keys stop working at once; STACKS_FILE does not bring it back)',
      parameters: [idParam],
      responses: {
        '200': ok('Deleted.', { type: 'object', properties: { id: { type: 'string' }, deleted: { const: true } } }),
        '404': errorResponse('No such stack.'),
        ...storeErrors,
      },
    }),
  },
  '/admin/stacks/{id}/api-key/rotate': {
    post: stackOp({
      operationId: 'rotateStackApiKey',
      summary: 'A new API key, shown once; the old ones stay valid for the grace period',
      parameters: [idParam],
      requestBody: { content: json(ref('RotateApiKeyRequest')) },
      responses: {
        '200': ok('Rotated; `apiKey` appears only in this answer.', ref('RotatedStack')),
        '400': errorResponse('Invalid graceSeconds.'),
        '404': errorResponse('No such stack.'),
        ...storeErrors,
      },
    }),
  },
  '/admin/login': {
    get: {
      operationId: 'adminLoginPage',
      summary: 'The Bull Board login form',
      tags: ['Admin: Bull Board'],
      responses: { '200': { description: 'HTML form.', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
    post: {
      operationId: 'adminLogin',
      summary: 'Trade the admin token for an HttpOnly session cookie',
      tags: ['Admin: Bull Board'],
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } },
          'application/json': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } },
        },
      },
      responses: {
        '200': ok('JSON login: the cookie is set.', { type: 'object', properties: { status: { const: 'logged_in' }, expires_at: { type: 'string', format: 'date-time' } } }),
        '303': { description: 'Form login: the cookie is set; redirect to /admin/queues.' },
        '401': {
          description: "Wrong admin token: a form post gets the login page again with the error (HTML), a JSON post Meta's envelope.",
          content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: ref('MetaError') } },
        },
        '429': errorResponse('Too many failed authentications from this client (AUTH_FAILURE_LIMIT); Retry-After says when to try again.'),
        '503': errorResponse('ADMIN_TOKEN is unset, or the session store (Redis) is unavailable.'),
      },
    },
  },
  '/admin/logout': {
    post: {
      operationId: 'adminLogout',
      summary: 'End the session (on the server too) and clear its cookie',
      tags: ['Admin: Bull Board'],
      responses: {
        '200': ok('Logged out.', { type: 'object', properties: { status: { const: 'logged_out' } } }),
        '303': { description: 'Form logout: redirect to the login page.' },
        '403': errorResponse('Posted from a page of another origin.'),
      },
    },
  },
  '/admin/dashboard': {
    get: {
      operationId: 'routingDashboard',
      summary: 'The routing dashboard: route share, fallbacks, MM against Cloud rates, category cache, audit search',
      description:
        'Server-rendered HTML for one stack, beside Bull Board behind the same login. It reads the same AuditStore as GET /analytics/routes and GET /messages/{wamid}, so its figures are theirs.',
      tags: ['Admin: Bull Board'],
      security: [{ adminBearer: [] }, { adminSession: [] }],
      parameters: [
        { name: 'stack', in: 'query', required: false, schema: { type: 'string' }, description: 'Stack id; default: the first.' },
        { name: 'hours', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 2160, default: 24 }, description: 'Window: the last N hours.' },
        { name: 'wamid', in: 'query', required: false, schema: { type: 'string' }, description: 'A message of the stack to show the audit entry of.' },
      ],
      responses: {
        '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
        '303': { description: 'A browser without a session goes to /admin/login.' },
        ...adminErrors,
      },
    },
  },
  '/admin/queues': {
    get: {
      operationId: 'bullBoard',
      summary: 'Bull Board: every queue, its jobs and dead letters',
      description: 'A web UI (its own assets and API live under /admin/queues/). The send queue is view only: sends are never retried from here.',
      tags: ['Admin: Bull Board'],
      security: [{ adminBearer: [] }, { adminSession: [] }],
      responses: {
        '200': { description: 'The UI.', content: { 'text/html': { schema: { type: 'string' } } } },
        '303': { description: 'A browser without a session goes to /admin/login.' },
        ...adminErrors,
      },
    },
  },
};

export const operationsPaths: Record<string, PathItem> = {
  '/healthz': {
    get: { operationId: 'healthz', summary: 'The process is alive', tags: ['Operations'], responses: { '200': ok('Alive.', ref('Health')) } },
  },
  '/readyz': {
    get: {
      operationId: 'readyz',
      summary: 'Redis answers and a worker checked in recently',
      tags: ['Operations'],
      responses: { '200': ok('Ready.', ref('Ready')), '503': errorResponse('Not ready; error_data.checks says why.') },
    },
  },
  '/metrics': {
    get: {
      operationId: 'metrics',
      summary: 'Prometheus metrics (gateway_*, process and Node.js)',
      description: 'Served on the operations port (INGRESS_METRICS_PORT); on this public port only when METRICS_TOKEN is set, behind that bearer token.',
      tags: ['Operations'],
      security: [{ metricsBearer: [] }],
      responses: {
        '200': { description: 'Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } },
        '401': errorResponse('METRICS_TOKEN is set and the bearer token is missing or wrong.'),
        '404': errorResponse('METRICS_TOKEN is unset: /metrics is served only on the operations port (INGRESS_METRICS_PORT).'),
      },
    },
  },
  '/openapi.json': {
    get: { operationId: 'openapi', summary: 'This document', tags: ['Operations'], responses: { '200': ok('OpenAPI 3.1.', { type: 'object' }) } },
  },
};
