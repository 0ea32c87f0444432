import { intFromEnv } from '@gw/config';

/**
 * The media pass-through's own settings; it reaches Meta at META_GRAPH_URL (short forms at
 * META_GRAPH_VERSION) and waits GRAPH_PASSTHROUGH_TIMEOUT_MS for a metadata or delete answer,
 * like the rest of the Graph pass-through (graph-config.ts).
 */
export const mediaEnv = {
  /** How long an upload or download may sit without a byte moving (and an upload wait for Meta's answer) before it is cut off. */
  MEDIA_IDLE_TIMEOUT_MS: intFromEnv(100, 60_000),
  /** A young-generation GC after every this many MB of media moved, bounding a transfer's memory growth to about that much (media-garbage.ts); 0: never. */
  MEDIA_GC_EVERY_MB: intFromEnv(0, 4),
};
