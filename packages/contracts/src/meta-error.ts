import { randomBytes } from 'node:crypto';

/** Meta's Graph error envelope, used for every error the gateway itself produces. */
export interface MetaErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data?: { messaging_product: 'whatsapp'; details: string; [key: string]: unknown };
    is_transient?: boolean;
    fbtrace_id: string;
  };
}

export interface GatewayError {
  status: number;
  body: MetaErrorBody;
}

export function traceId(): string {
  return randomBytes(12).toString('base64url');
}

export function metaError(
  status: number,
  code: number,
  title: string,
  details: string,
  extra: { type?: string; isTransient?: boolean; data?: Record<string, unknown> } = {},
): GatewayError {
  return {
    status,
    body: {
      error: {
        message: `(#${code}) ${title}`,
        type: extra.type ?? 'OAuthException',
        code,
        error_data: { messaging_product: 'whatsapp', details, ...extra.data },
        ...(extra.isTransient === undefined ? {} : { is_transient: extra.isTransient }),
        fbtrace_id: traceId(),
      },
    },
  };
}

/** The errors the gateway produces, in one place so codes and statuses stay consistent. */
export const gatewayErrors = {
  invalidJson: () => metaError(400, 100, 'Invalid parameter', 'The request body is not valid JSON.'),
  invalidParameter: (details: string) => metaError(400, 100, 'Invalid parameter', details),
  missingParameter: (details: string) => metaError(400, 131008, 'Required parameter is missing', details),
  bodyTooLarge: (limit: string) => metaError(413, 100, 'Invalid parameter', `The request body is larger than the ${limit} limit.`),
  unauthenticated: () => metaError(401, 190, 'Invalid OAuth access token', 'Missing or unknown API key.', { type: 'OAuthException' }),
  wrongPhoneNumber: (phoneNumberId: string) => metaError(403, 200, 'Permissions error', `This API key may not send from phone number id ${phoneNumberId}.`),
  /** Another stack's (or an unknown) phone number, WABA, template or media id: the gateway's tenancy, not Meta's. */
  notYourResource: (kind: string, id: string) => metaError(403, 200, 'Permissions error', `This API key may not reach ${kind} ${id}.`),
  notFound: (path: string) => metaError(404, 100, 'Unsupported request', `No route for ${path}.`),
  unavailable: (details: string) => metaError(503, 2, 'Service temporarily unavailable', details, { isTransient: true }),
  timeout: (jobId: string, timeoutMs: number) =>
    metaError(
      504,
      2,
      'Service temporarily unavailable',
      `No result within ${timeoutMs} ms. The send job ${jobId} is still pending; its outcome is unknown. Repeat with the same Idempotency-Key to read the final result instead of sending again.`,
      { isTransient: true, data: { job_id: jobId, outcome: 'pending' } },
    ),
  upstreamOutcomeUnknown: (endpoint: string, timeoutMs: number) =>
    metaError(
      504,
      131000,
      'Something went wrong',
      `Meta's ${endpoint} did not answer within ${timeoutMs} ms after the request was sent. The message may or may not have been delivered; the gateway did not send it again to avoid a duplicate.`,
      { isTransient: false, data: { outcome: 'unknown' } },
    ),
  upstreamUnreachable: (endpoint: string) =>
    metaError(503, 131016, 'Service unavailable', `Could not connect to Meta's ${endpoint}; nothing was sent.`, {
      isTransient: true,
    }),
  idempotencyMismatch: () => metaError(422, 100, 'Invalid parameter', 'This Idempotency-Key was already used with a different request body. Use a new key for a new message.'),
  workerLost: (jobId: string) =>
    metaError(
      504,
      131000,
      'Something went wrong',
      `The worker processing send job ${jobId} stopped before it finished. The message may or may not have reached Meta; the gateway does not run it again to avoid a duplicate.`,
      { isTransient: false, data: { job_id: jobId, outcome: 'unknown' } },
    ),
  throughputExceeded: (phoneNumberId: string, waitMs: number) =>
    metaError(429, 130429, 'Rate limit hit', `The gateway's pacing for phone number ${phoneNumberId} has no capacity within ${waitMs} ms; nothing was sent. Retry later.`, {
      isTransient: true,
    }),
  /** A per-stack limit of the gateway (rate, sends in flight, queued warm-ups): code 4, like Meta's application request limit. */
  stackLimit: (details: string, retryAfterSeconds?: number) =>
    metaError(429, 4, 'Application request limit reached', details, {
      isTransient: true,
      ...(retryAfterSeconds !== undefined ? { data: { retry_after_seconds: retryAfterSeconds } } : {}),
    }),
  authThrottled: (retryAfterSeconds: number) =>
    metaError(429, 4, 'Application request limit reached', `Too many failed authentication attempts from this client; retry in ${retryAfterSeconds} s.`, {
      isTransient: true,
      data: { retry_after_seconds: retryAfterSeconds },
    }),
  internal: () => metaError(500, 131000, 'Something went wrong', 'The gateway failed to process the request.'),
};
