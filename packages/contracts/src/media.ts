/**
 * How long the gateway remembers who may reach a media id: Meta keeps uploaded media 30 days,
 * so an id older than that is gone at Meta too.
 */
export const MEDIA_OWNERSHIP_TTL_SECONDS = 30 * 24 * 3600;

/** Inbound message types whose `<type>.id` is a media id Meta lets the business download. */
export const INBOUND_MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
