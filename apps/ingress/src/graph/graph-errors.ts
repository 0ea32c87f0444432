import { metaError } from '@gw/contracts';

/** The gateway's own errors for a Graph call it passes through (templates, profile, nodes, media), in Meta's envelope. */
export const graphErrors = {
  /** Meta did not answer in time; `changes`: a call that changes something (create, edit, delete, upload), which may still have happened. */
  timeout: (what: string, timeoutMs: number, changes: boolean) =>
    metaError(
      504,
      2,
      'Service temporarily unavailable',
      `Meta did not answer ${what} within ${timeoutMs} ms.${changes ? ' A change it asked for may or may not have been made; read it back before repeating it.' : ''}`,
      { isTransient: true },
    ),
  /** Meta could not be reached, or the connection broke before an answer. */
  unreachable: (what: string) => metaError(502, 2, 'Service temporarily unavailable', `Could not reach Meta for ${what}. Retry later.`, { isTransient: true }),
};
