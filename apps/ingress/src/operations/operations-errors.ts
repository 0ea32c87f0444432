import { metaError } from '@gw/contracts';

/** Errors of the operations endpoints and the stacks admin API, in Meta's envelope like every gateway error. */
export const operationsErrors = {
  metricsUnauthenticated: () => metaError(401, 190, 'Invalid OAuth access token', 'Missing or wrong metrics token (METRICS_TOKEN).'),
  metricsOffPublicPort: () =>
    metaError(404, 100, 'Invalid parameter', 'GET /metrics is served on the operations port (INGRESS_METRICS_PORT); set METRICS_TOKEN to serve it on this port behind a bearer token.'),
  foreignOrigin: () => metaError(403, 200, 'Permissions error', 'A state-changing admin call from a page of another origin is refused.'),
  sessionStoreUnavailable: () => metaError(503, 2, 'Service temporarily unavailable', 'The session store (Redis) is unavailable; not logged in. Retry later.', { isTransient: true }),
  loginFailed: () => metaError(401, 190, 'Invalid OAuth access token', 'Wrong admin token.'),
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
  stackStoreUnavailable: () => metaError(503, 2, 'Service temporarily unavailable', 'The stack store (Redis) is unavailable; nothing was changed. Retry later.', { isTransient: true }),
};
