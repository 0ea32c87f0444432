import { gatewayErrors, metaError } from '@gw/contracts';

/** Errors of the webhook receiver and the admin API, in Meta's envelope like every other gateway error. */
export const webhookErrors = {
  receiverNotConfigured: () =>
    metaError(503, 2, 'Service temporarily unavailable', 'Webhook receiving is not configured on this gateway (META_APP_SECRET is unset).', {
      isTransient: true,
    }),
  badSignature: () =>
    metaError(401, 190, 'Invalid signature', 'The X-Hub-Signature-256 header is missing or does not match the body.'),
  verificationFailed: () =>
    metaError(403, 10, 'Permission denied', 'Webhook verification failed: wrong hub.mode or hub.verify_token.', { type: 'OAuthException' }),
  notStored: () => gatewayErrors.unavailable('The webhook could not be stored; nothing was accepted. Retry later.'),
  adminDisabled: () =>
    metaError(503, 2, 'Service temporarily unavailable', 'The admin API is disabled on this gateway (ADMIN_TOKEN is unset).', {
      isTransient: true,
    }),
  adminUnauthenticated: () => metaError(401, 190, 'Invalid OAuth access token', 'Missing or wrong admin token.'),
  deadLetterNotFound: (id: string) => metaError(404, 100, 'Unsupported request', `No dead-lettered delivery with id ${id}.`),
  adminUnavailable: () => gatewayErrors.unavailable('The webhook queues are unavailable. Retry later.'),
};
