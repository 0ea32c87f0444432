import type { Response } from 'express';
import { newFbtraceId } from './ids.ts';

export interface MetaErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
}

/** Thrown by graph handlers; the pipeline turns it into Meta's error response. */
export class MetaError extends Error {
  readonly status: number;
  readonly body: MetaErrorBody;

  constructor(status: number, body: MetaErrorBody) {
    super(body.error.message);
    this.status = status;
    this.body = body;
  }
}

// Titles and details as Meta words them (see the API reference), so a fault
// configured with just {status, code} still looks real to the gateway.
const KNOWN: Record<number, { title: string; details?: string }> = {
  1: { title: 'An unknown error occurred' },
  2: { title: 'Service temporarily unavailable' },
  4: { title: 'Application request limit reached' },
  10: { title: 'Permission denied' },
  100: { title: 'Invalid parameter' },
  80007: { title: 'Rate limit issues' },
  130429: { title: 'Rate limit hit', details: 'Cloud API message throughput has been reached.' },
  131000: { title: 'Something went wrong' },
  131005: { title: 'Access denied' },
  131008: { title: 'Required parameter is missing' },
  131009: { title: 'Parameter value is not valid', details: 'One or more parameter values are invalid.' },
  131016: { title: 'Service unavailable', details: 'A service is temporarily unavailable.' },
  131026: { title: 'Message undeliverable' },
  131048: { title: 'Spam rate limit hit' },
  131049: {
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  131055: { title: 'Method not allowed', details: 'Only marketing template messages are supported' },
  131056: { title: '(Business Account, Consumer Account) pair rate limit hit' },
  131057: { title: 'Account in maintenance mode' },
  131061: {
    title: 'Message can only be sent with the Marketing Messages API',
    details: 'Messages with a maximum price (bid_spec) can only be sent with the Marketing Messages API.',
  },
  131062: {
    title: 'Message can only be sent with the Marketing Messages API',
    details: 'Messages with a maximum price (bid_spec) to a business-scoped user id can only be sent with the Marketing Messages API.',
  },
  131063: { title: 'Marketing templates disabled for Cloud API', details: 'This business has disabled marketing messages on the Cloud API.' },
  132001: { title: 'Template name does not exist in the translation' },
  132015: { title: 'Template is Paused' },
  132016: { title: 'Template is disabled' },
  133004: { title: 'Server temporarily unavailable' },
  134100: { title: 'Only marketing messages supported', details: 'Only marketing messages are supported on this API.' },
  134101: { title: 'Your template is still syncing', details: 'Template sync can take up to 10 minutes. Try again later.' },
  134102: {
    title: 'Template unavailable for use',
    details: 'Check the eligibility and onboarding status of the business, or contact support.',
  },
};

function knownTitle(code: number): string | undefined {
  return KNOWN[code]?.title;
}

function knownDetails(code: number): string | undefined {
  return KNOWN[code]?.details ?? KNOWN[code]?.title;
}

/** The standard WhatsApp error envelope: "(#code) title" plus error_data.details. */
export function metaError(status: number, code: number, title?: string, details?: string): MetaError {
  const text = title ?? knownTitle(code) ?? 'An unknown error occurred';
  return new MetaError(status, {
    error: {
      message: text.startsWith('(#') ? text : `(#${code}) ${text}`,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details: details ?? knownDetails(code) ?? text },
      fbtrace_id: newFbtraceId(),
    },
  });
}

/** Graph's token error carries no error_data. */
export function invalidToken(): MetaError {
  return new MetaError(401, {
    error: {
      message: 'Invalid OAuth access token - Cannot parse access token',
      type: 'OAuthException',
      code: 190,
      fbtrace_id: newFbtraceId(),
    },
  });
}

/** Graph's answer for an id it does not know (or may not see). */
export function unknownObject(id: string, method: 'get' | 'post'): MetaError {
  return new MetaError(400, {
    error: {
      message: `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
      fbtrace_id: newFbtraceId(),
    },
  });
}

export function unknownPath(path: string): MetaError {
  return new MetaError(400, {
    error: { message: `Unknown path components: ${path}`, type: 'OAuthException', code: 2500, fbtrace_id: newFbtraceId() },
  });
}

export const errors = {
  invalidParameter: (details: string) => metaError(400, 100, 'Invalid parameter', details),
  missingParameter: (details: string) => metaError(400, 131008, 'Required parameter is missing', details),
  templateNotFound: (name: string, language: string) => metaError(404, 132001, undefined, `template name (${name}) does not exist in ${language}`),
  templatePaused: (name: string) => metaError(400, 132015, undefined, `Template ${name} is paused due to low quality.`),
  templateDisabled: (name: string) => metaError(400, 132016, undefined, `Template ${name} has been disabled.`),
  mmUnavailable: () => metaError(500, 134102),
  mmSyncing: () => metaError(400, 134101),
  mmOnlyMarketing: () => metaError(400, 134100),
  unknownMessage: (id: string) => metaError(400, 131009, undefined, `Message ${id} is unknown or older than 30 days.`),
  perUserLimit: () => metaError(400, 131049),
  maxPriceOnCloud: (bsuid: boolean) => metaError(400, bsuid ? 131062 : 131061),
  cloudMarketingOff: () => metaError(400, 131063),
  invalidCursor: () => metaError(400, 131059, 'Invalid pagination cursor', 'The after cursor is not valid.'),
};

export function sendMetaError(res: Response, error: MetaError): void {
  res.status(error.status).json(error.body);
}
