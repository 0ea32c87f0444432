import type { GatewayError } from '@gw/contracts';
import { mediaErrors } from './media-errors.ts';
import { MAX_MEDIA_BYTES, mediaLimitOf } from './media-limits.ts';

/** Room for the multipart framing and the small fields around the file. */
export const MULTIPART_SLACK_BYTES = 64 * 1024;

/** Before the body is read: a Content-Length no type could fit is refused at once. */
export function checkContentLength(contentLength: number | undefined): GatewayError | undefined {
  return contentLength !== undefined && contentLength > MAX_MEDIA_BYTES + MULTIPART_SLACK_BYTES ? mediaErrors.requestTooLarge(MAX_MEDIA_BYTES) : undefined;
}

/**
 * When the file part starts: with the `type` field already read, its limit (and a refusal when
 * the type is unsupported or Content-Length already exceeds it); without it (the field comes after
 * the file), the largest limit for now, checked again by checkUpload once the type is known.
 */
export function planFileLimit(declaredType: string | undefined, contentLength: number | undefined): { maxBytes: number } | { refuse: GatewayError } {
  if (declaredType === undefined) return { maxBytes: MAX_MEDIA_BYTES };
  const limit = mediaLimitOf(declaredType);
  if (!limit) return { refuse: mediaErrors.unsupportedType(declaredType) };
  if (contentLength !== undefined && contentLength > limit.maxBytes + MULTIPART_SLACK_BYTES) return { refuse: mediaErrors.fileTooLarge(declaredType, limit.maxBytes) };
  return { maxBytes: limit.maxBytes };
}

/**
 * Once the whole form is read, before its last bytes go to Meta: the type must be supported and the
 * file within its limit. A missing type or file is left to Meta, whose answer the client gets.
 */
export function checkUpload(type: string | undefined, fileSize: number | undefined): GatewayError | undefined {
  if (type === undefined) return undefined;
  const limit = mediaLimitOf(type);
  if (!limit) return mediaErrors.unsupportedType(type);
  if (fileSize !== undefined && fileSize > limit.maxBytes) return mediaErrors.fileTooLarge(type, limit.maxBytes);
  return undefined;
}
