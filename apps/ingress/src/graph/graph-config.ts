import { intFromEnv, metaGraphEnv } from '@gw/config';

/** The Graph pass-through's settings (templates, business profile, phone number and WABA nodes). */
export const graphPassthroughEnv = {
  ...metaGraphEnv,
  /** How long a passed-through Graph call may wait for Meta's answer before the client gets a 504. */
  GRAPH_PASSTHROUGH_TIMEOUT_MS: intFromEnv(100, 15_000),
};
