import { gatewayErrors, metaError } from '@gw/contracts';

/** Errors of Meta's webhook receiver, in Meta's envelope like every other gateway error. */
export const webhookErrors = {
  receiverNotConfigured: () =>
    metaError(503, 2, 'Service temporarily unavailable', 'Webhook receiving is not configured on this gateway (META_APP_SECRET is unset).', {
      isTransient: true,
    }),
  badSignature: () => metaError(401, 190, 'Invalid signature', 'The X-Hub-Signature-256 header is missing or does not match the body.'),
  verificationFailed: () => metaError(403, 10, 'Permission denied', 'Webhook verification failed: wrong hub.mode or hub.verify_token.', { type: 'OAuthException' }),
  notStored: () => gatewayErrors.unavailable('The webhook could not be stored; nothing was accepted. Retry later.'),
};
