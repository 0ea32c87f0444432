import { z } from 'zod';
import { messagePayloadSchema, ROUTE_REASONS } from '@gw/contracts';
import { newStackSchema, stackChangeSchema } from '@gw/stack-store';
import { warmupBodySchema } from '../template-routes.ts';
import { rotateBodySchema } from '../admin/stack-admin-routes.ts';
import type { JsonSchema, ResponseObject } from './types.ts';

/** A request schema straight from the zod schema the route validates with, so the two cannot drift. */
function fromZod(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return json;
}

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const isoTime = { type: 'string', format: 'date-time' };

export const componentSchemas: Record<string, JsonSchema> = {
  MetaError: {
    type: 'object',
    description: "Meta's Graph error envelope; every error of the gateway uses it.",
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['message', 'type', 'code', 'fbtrace_id'],
        properties: {
          message: { type: 'string' },
          type: { type: 'string' },
          code: { type: 'integer' },
          error_subcode: { type: 'integer' },
          error_data: { type: 'object', additionalProperties: true },
          is_transient: { type: 'boolean' },
          fbtrace_id: { type: 'string' },
        },
      },
    },
  },
  MessagePayload: { ...fromZod(messagePayloadSchema), description: 'A Cloud API message, passed to Meta unchanged.' },
  MetaSendResponse: {
    type: 'object',
    description: "Meta's answer, unchanged (success or Meta's own error envelope).",
    additionalProperties: true,
  },
  WarmupRequest: fromZod(warmupBodySchema),
  WarmupAccepted: {
    type: 'object',
    properties: { id: { type: 'string' }, status: { const: 'queued' }, status_url: { type: 'string' } },
  },
  WarmupStatus: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      state: { type: 'string' },
      progress: {},
      summary: { type: ['object', 'null'], additionalProperties: true },
      failed_reason: { type: ['string', 'null'] },
      created_at: isoTime,
      finished_at: { type: ['string', 'null'], format: 'date-time' },
    },
  },
  CategoryListing: {
    type: 'object',
    properties: {
      data: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            language: { type: 'string' },
            category: { enum: ['marketing', 'non_marketing', 'syncing'] },
            source: { enum: ['learned', 'sync', 'webhook', 'api'] },
            expiresAt: isoTime,
          },
        },
      },
    },
  },
  DeadLetter: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      stackId: { type: ['string', 'null'] },
      phoneNumberId: { type: ['string', 'null'] },
      reason: { type: 'string' },
      attempts: { type: 'integer' },
      kinds: { type: 'array', items: { type: 'string' } },
      receivedAt: isoTime,
      createdAt: isoTime,
      failedAt: { type: ['string', 'null'], format: 'date-time' },
    },
  },
  InboundDeadLetter: {
    type: 'object',
    description: 'A webhook from Meta that failed processing every attempt: what it is about, never its body.',
    properties: {
      id: { type: 'string' },
      phoneNumberIds: { type: 'array', items: { type: 'string' } },
      stackIds: { type: 'array', items: { type: 'string' } },
      fields: { type: 'array', items: { type: 'string' } },
      bytes: { type: 'integer' },
      reason: { type: 'string' },
      attempts: { type: 'integer' },
      receivedAt: isoTime,
      failedAt: { type: ['string', 'null'], format: 'date-time' },
    },
  },
  DeadLetterReplayRequest: {
    type: 'object',
    required: ['stackId'],
    properties: { stackId: { type: 'string' }, from: { type: ['string', 'integer'] }, to: { type: ['string', 'integer'] } },
  },
  NewStack: fromZod(newStackSchema),
  StackChange: fromZod(stackChangeSchema),
  RotateApiKeyRequest: fromZod(rotateBodySchema),
  Stack: {
    type: 'object',
    description: 'A stack as the admin API shows it: never a secret (no API key, Meta token or webhook secret).',
    properties: {
      id: { type: 'string' },
      phoneNumberId: { type: 'string' },
      wabaId: { type: 'string' },
      mmRouting: { type: 'boolean' },
      messagesPerSecond: { type: 'integer' },
      webhookUrl: { type: ['string', 'null'] },
      hasWebhookSecret: { type: 'boolean' },
      apiKeys: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            fingerprint: { type: 'string', description: 'First 12 hex digits of the key hash.' },
            createdAt: isoTime,
            expiresAt: { type: ['string', 'null'], format: 'date-time', description: 'End of the grace period of a rotated-out key.' },
          },
        },
      },
      source: { enum: ['file', 'api'] },
      version: { type: 'integer' },
      createdAt: isoTime,
      updatedAt: isoTime,
    },
  },
  StackWithApiKey: {
    allOf: [ref('Stack'), { type: 'object', properties: { apiKey: { type: 'string', description: 'Shown once; only its hash is kept.' } } }],
  },
  RotatedStack: {
    allOf: [ref('StackWithApiKey'), { type: 'object', properties: { previousKeysValidUntil: { type: ['string', 'null'], format: 'date-time' } } }],
  },
  AuditEntry: {
    type: 'object',
    description: 'One message as the gateway sent it and as Meta reported it since; kept LEDGER_RETENTION_SECONDS (30 days).',
    required: ['wamid', 'stackId', 'route', 'reason', 'calls', 'sentAt', 'statuses', 'clicks'],
    properties: {
      wamid: { type: 'string' },
      stackId: { type: 'string' },
      route: { enum: ['marketing_messages', 'cloud_api'] },
      reason: { enum: [...ROUTE_REASONS], description: 'The x-gateway-route-reason the client received.' },
      mmErrorCode: { type: 'integer', description: 'Meta error code of the MM attempt that led to the fallback.' },
      calls: {
        type: 'array',
        description: 'Each call to Meta, in order. status 0: no HTTP answer (timeout, connection refused).',
        items: {
          type: 'object',
          properties: {
            endpoint: { enum: ['marketing_messages', 'messages', 'messages_encrypted'] },
            status: { type: 'integer' },
            durationMs: { type: 'number' },
            errorCode: { type: 'integer' },
          },
        },
      },
      idempotencyKey: { type: 'string' },
      template: { type: 'string', description: '`name:language` of a template send.' },
      sentAt: isoTime,
      statuses: {
        type: 'array',
        description: 'In the order received, each status once (repeats from Meta are not added).',
        items: {
          type: 'object',
          properties: {
            status: { type: 'string' },
            timestamp: { type: 'string', description: "Meta's timestamp (epoch seconds)." },
            receivedAt: isoTime,
            errors: { type: 'array', items: { type: 'object', additionalProperties: true } },
            pricing: { type: 'object', additionalProperties: true, description: 'As the client received it (category, cost, ...).' },
          },
        },
      },
      clicks: {
        type: 'array',
        items: { type: 'object', properties: { receivedAt: isoTime, clickId: { type: 'string' }, data: { type: 'object', additionalProperties: true } } },
      },
    },
  },
  RouteAnalyticsRow: {
    type: 'object',
    description: 'One (bucket, route, template). Statuses, clicks and cost count in the bucket of their send, so rates compare a row with its own sends.',
    properties: {
      bucket: { ...isoTime, description: 'UTC start of the hour or day.' },
      route: { enum: ['marketing_messages', 'cloud_api'] },
      template: { type: 'string', description: '`name:language`; `(none)` for non-template sends; `(unattributed)` for clicks Meta ties to no message.' },
      sends: { type: 'integer', description: 'Messages Meta accepted (with a wamid).' },
      fallbacks: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Cloud sends standing in for an MM send, by route reason.' },
      delivered: { type: 'integer', description: 'Once per message; a read without delivered counts as delivered too.' },
      read: { type: 'integer' },
      failed: { type: 'integer' },
      clicked: { type: 'integer', description: 'Messages with at least one click.' },
      deliveredRate: { type: 'number' },
      readRate: { type: 'number' },
      failedRate: { type: 'number' },
      clickRate: { type: 'number' },
      cost: { type: ['number', 'null'], description: 'Sum of pricing.cost.amount, once per message; null when Meta gave none.' },
    },
  },
  Health: { type: 'object', properties: { status: { const: 'ok' } } },
  Ready: {
    type: 'object',
    properties: { status: { const: 'ready' }, checks: { type: 'object', additionalProperties: { type: 'string' } }, workers: { type: 'integer' } },
  },
};

export const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

export function errorResponse(description: string): ResponseObject {
  return { description, content: json(ref('MetaError')) };
}

export function ok(description: string, schema: JsonSchema): ResponseObject {
  return { description, content: json(schema) };
}
