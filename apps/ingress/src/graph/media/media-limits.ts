/**
 * A copy of the simulator's table: the gateway enforces Meta's limits itself, before anything reaches Meta.
 *
 * Meta's supported media types and their size limits (Cloud API reference, "Supported media types").
 * The upload's `type` field is the MIME type; stickers (image/webp) are 100 KB static and 500 KB
 * animated: an upload is checked against 500 KB, the larger one, since only a send tells them apart.
 */
export type MediaKind = 'audio' | 'document' | 'image' | 'sticker' | 'video';

const MB = 1024 * 1024;
const KB = 1024;

const LIMITS: Record<MediaKind, { maxBytes: number; mimeTypes: string[] }> = {
  audio: { maxBytes: 16 * MB, mimeTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'] },
  document: {
    maxBytes: 100 * MB,
    mimeTypes: [
      'text/plain',
      'application/pdf',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/msword',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
  },
  image: { maxBytes: 5 * MB, mimeTypes: ['image/jpeg', 'image/png'] },
  sticker: { maxBytes: 500 * KB, mimeTypes: ['image/webp'] },
  video: { maxBytes: 16 * MB, mimeTypes: ['video/mp4', 'video/3gpp', 'video/3gp'] },
};

/** The largest file any type allows. */
export const MAX_MEDIA_BYTES = 100 * MB;

export const SUPPORTED_MIME_TYPES: readonly string[] = Object.values(LIMITS).flatMap((l) => l.mimeTypes);

/** The kind and limit of a MIME type (parameters such as `; codecs=opus` ignored), or undefined when Meta refuses it. */
export function mediaLimitOf(mimeType: string): { kind: MediaKind; maxBytes: number; mimeType: string } | undefined {
  const bare = mimeType.split(';')[0]!.trim().toLowerCase();
  for (const [kind, limit] of Object.entries(LIMITS) as Array<[MediaKind, (typeof LIMITS)[MediaKind]]>) {
    if (limit.mimeTypes.includes(bare)) return { kind, maxBytes: limit.maxBytes, mimeType: bare };
  }
  return undefined;
}

export function describeLimit(maxBytes: number): string {
  return maxBytes >= MB ? `${maxBytes / MB} MB` : `${maxBytes / KB} KB`;
}
