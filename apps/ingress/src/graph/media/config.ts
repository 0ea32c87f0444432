import { z } from 'zod';
import { intFromEnv } from '@gw/config';

/** How the ingress reaches Meta's Graph API for the pass-through calls (media), which skip the send queue. */
export const graphUpstreamEnv = {
  META_GRAPH_URL: z.string().url().default('https://graph.facebook.com'),
  /** The version of the Graph calls a short-form route (`/media/...`) makes; Graph-form routes use the path's. */
  META_GRAPH_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v24.0')
    .default('v24.0'),
  /** How long Meta may take to answer a metadata or delete call (and to start answering an upload or a download). */
  GRAPH_TIMEOUT_MS: intFromEnv(100, 10_000),
  /** How long an upload or download may sit without a byte moving before it is cut off. */
  MEDIA_IDLE_TIMEOUT_MS: intFromEnv(100, 60_000),
};
