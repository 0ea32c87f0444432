import { metaError } from '@gw/contracts';
import { describeLimit, SUPPORTED_MIME_TYPES } from './media-limits.ts';

/** The errors the media routes produce themselves, in Meta's envelope. */
export const mediaErrors = {
  /** Content-Length alone says the upload cannot fit any type's limit. */
  requestTooLarge: (maxBytes: number) => metaError(413, 100, 'Invalid parameter', `The upload is larger than ${describeLimit(maxBytes)}, the largest file Meta accepts.`),
  fileTooLarge: (type: string, maxBytes: number) => metaError(413, 100, 'Invalid parameter', `The file is larger than the ${describeLimit(maxBytes)} limit of ${type}.`),
  unsupportedType: (type: string) =>
    metaError(400, 100, 'Invalid parameter', `Param file must be a file with one of the following types: ${SUPPORTED_MIME_TYPES.join(', ')}. Received ${type}.`),
  notMultipart: () => metaError(400, 100, 'Invalid parameter', 'The upload must be multipart/form-data with the fields file, type and messaging_product.'),
};
