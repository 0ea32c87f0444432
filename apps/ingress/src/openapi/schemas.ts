import { z } from 'zod';
import { messagePayloadSchema } from '@gw/contracts';
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
