import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Router } from 'express';
import { z } from 'zod';
import { newWamid } from '../ids.ts';
import { MAX_MEDIA_BYTES, mediaLimitOf } from '../graph/media-limits.ts';
import type { MediaStore } from '../graph/media-store.ts';
import type { SimulatorState } from '../state/state.ts';
import { userIdFor } from '../graph/send.ts';
import { envelope } from '../webhooks/payloads.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';

const DEFAULT_MIME: Record<string, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg',
  document: 'application/pdf',
  sticker: 'image/webp',
};

const inboundMediaSchema = z.object({
  phoneNumberId: z.string().min(1),
  type: z.enum(['image', 'video', 'audio', 'document', 'sticker']).default('image'),
  mimeType: z.string().optional(),
  /** Size of the (random) file the user sent. */
  bytes: z.number().int().min(1).max(MAX_MEDIA_BYTES).default(2048),
  from: z.string().regex(/^\d+$/).default('15550001234'),
  caption: z.string().optional(),
});

/** Random bytes in 64 KB chunks: a large file never sits in memory whole. */
function* randomFile(size: number): Generator<Buffer> {
  for (let left = size; left > 0; left -= 65_536) yield randomBytes(Math.min(65_536, left));
}

/**
 * POST /_sim/inbound/media: a user sends the business a media message. The file goes into the media
 * store (so `GET /{media_id}` and its download URL work with the number's token) and Meta's
 * `messages` webhook carrying `<type>.id` goes to the configured webhook URL.
 */
export function inboundMediaRoutes(state: SimulatorState, webhooks: Webhooks, media: MediaStore): Router {
  const router = Router();
  router.post('/inbound/media', async (req, res) => {
    const input = inboundMediaSchema.parse(req.body);
    const account = state.accounts.get(input.phoneNumberId);
    if (!account) return void res.status(404).json({ error: `no account with phone number id ${input.phoneNumberId}` });
    const mimeType = input.mimeType ?? DEFAULT_MIME[input.type]!;
    const stored = await media.put(account.phoneNumberId, mimeType, Readable.from(randomFile(input.bytes)), mediaLimitOf(mimeType)?.maxBytes ?? MAX_MEDIA_BYTES);
    const messageId = newWamid();
    state.rememberMessage(messageId);
    const content = { ...(input.caption === undefined ? {} : { caption: input.caption }), mime_type: stored.mimeType, sha256: stored.sha256, id: stored.id };
    const payload = envelope(account.wabaId, 'messages', {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: account.displayPhoneNumber ?? account.phoneNumberId, phone_number_id: account.phoneNumberId },
      contacts: [{ profile: { name: 'Simulated User' }, wa_id: input.from, user_id: userIdFor(input.from) }],
      messages: [{ from: input.from, id: messageId, timestamp: String(Math.floor(Date.now() / 1000)), type: input.type, [input.type]: content }],
    });
    const webhookStatus = webhooks.config.url ? await webhooks.dispatcher.sendOnce(payload, 'valid') : null;
    res.json({ message_id: messageId, media_id: stored.id, mime_type: stored.mimeType, sha256: stored.sha256, file_size: stored.fileSize, webhook_status: webhookStatus, payload });
  });
  return router;
}
