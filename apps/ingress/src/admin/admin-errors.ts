import { gatewayErrors, metaError } from '@gw/contracts';

/** Every error of the admin API (stacks, dead letters, login, Bull Board), in Meta's envelope like every other gateway error. */
export const adminErrors = {
  disabled: () =>
    metaError(503, 2, 'Service temporarily unavailable', 'The admin API is disabled on this gateway (ADMIN_TOKEN is unset).', {
      isTransient: true,
    }),
  unauthenticated: () => metaError(401, 190, 'Invalid OAuth access token', 'Missing or wrong admin token.'),
  loginFailed: () => metaError(401, 190, 'Invalid OAuth access token', 'Wrong admin token.'),
  foreignOrigin: () => metaError(403, 200, 'Permissions error', 'A state-changing admin call from a page of another origin is refused.'),
  sessionStoreUnavailable: () =>
    metaError(503, 2, 'Service temporarily unavailable', 'The session store (Redis) is unavailable; not logged in. Retry later.', { isTransient: true }),
  deadLetterNotFound: (id: string) => metaError(404, 100, 'Unsupported request', `No dead-lettered delivery with id ${id}.`),
  inboundDeadLetterNotFound: (id: string) => metaError(404, 100, 'Unsupported request', `No dead-lettered inbound webhook with id ${id}.`),
  webhookQueuesUnavailable: () => gatewayErrors.unavailable('The webhook queues are unavailable. Retry later.'),
  stackStoreDisabled: () =>
    metaError(
      503,
      2,
      'Service temporarily unavailable',
      'Stacks are read from STACKS_FILE on this gateway and cannot be changed at run time. Set STACKS_ENCRYPTION_KEY (32 random bytes, base64) on every ingress and worker to keep stacks in Redis and enable this API.',
      { isTransient: false },
    ),
  stackNotFound: (id: string) => metaError(404, 100, 'Invalid parameter', `No stack with id "${id}".`),
  stackConflict: (details: string) => metaError(409, 100, 'Invalid parameter', details),
  stackStoreUnavailable: () =>
    metaError(503, 2, 'Service temporarily unavailable', 'The stack store (Redis) is unavailable; nothing was changed. Retry later.', { isTransient: true }),
};
