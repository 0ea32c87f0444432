import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, type ReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';

export interface StoredMedia {
  id: string;
  phoneNumberId: string;
  mimeType: string;
  sha256: string;
  fileSize: number;
  createdAt: number;
}

/** Meta's download URLs expire after 5 minutes. */
export const DOWNLOAD_URL_TTL_MS = 5 * 60_000;

export class MediaTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`file larger than ${maxBytes} bytes`);
  }
}

/**
 * Uploaded and inbound media, bytes on disk in a private temp dir (a 100 MB document must not sit in
 * the simulator's memory), metadata in memory. Download URLs are signed with a per-process secret and
 * carry their expiry, like Meta's lookaside URLs.
 */
export class MediaStore {
  readonly #dir = mkdtempSync(join(tmpdir(), 'sim-media-'));
  readonly #media = new Map<string, StoredMedia>();
  readonly #secret = randomBytes(32);

  /**
   * Streams `source` to disk (with backpressure); past `maxBytes` it keeps reading (a multipart
   * parser stalls on a file stream nobody reads) but writes nothing more, then rejects with
   * MediaTooLarge and keeps nothing.
   */
  async put(phoneNumberId: string, mimeType: string, source: AsyncIterable<Buffer>, maxBytes: number): Promise<StoredMedia> {
    const id = newMediaId();
    const path = join(this.#dir, id);
    const hash = createHash('sha256');
    const out = createWriteStream(path);
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > maxBytes) continue;
        hash.update(chunk);
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.end();
      await finished(out);
      if (size > maxBytes) throw new MediaTooLarge(maxBytes);
    } catch (error) {
      out.destroy();
      await unlink(path).catch(() => undefined);
      throw error;
    }
    const media: StoredMedia = { id, phoneNumberId, mimeType, sha256: hash.digest('hex'), fileSize: size, createdAt: Date.now() };
    this.#media.set(id, media);
    return media;
  }

  /** Changes the MIME type recorded for an upload whose `type` field came after its file. */
  retype(id: string, mimeType: string): void {
    const media = this.#media.get(id);
    if (media) media.mimeType = mimeType;
  }

  get(id: string): StoredMedia | undefined {
    return this.#media.get(id);
  }

  async delete(id: string): Promise<boolean> {
    if (!this.#media.delete(id)) return false;
    await unlink(join(this.#dir, id)).catch(() => undefined);
    return true;
  }

  open(media: StoredMedia): ReadStream {
    return createReadStream(join(this.#dir, media.id));
  }

  /** A download URL like Meta's: `mid`, expiry (`ext`, epoch seconds) and a signature over both. */
  downloadUrl(baseUrl: string, media: StoredMedia, now = Date.now()): string {
    const ext = Math.floor((now + DOWNLOAD_URL_TTL_MS) / 1000);
    return `${baseUrl}/whatsapp_business/attachments/?mid=${media.id}&ext=${ext}&hash=${this.#sign(media.id, ext)}`;
  }

  /** The media a download URL names, when its signature holds and it has not expired. */
  fromDownload(mid: string, ext: string, hash: string, now = Date.now()): StoredMedia | 'expired' | undefined {
    const expiry = Number(ext);
    if (!Number.isInteger(expiry) || hash !== this.#sign(mid, expiry)) return undefined;
    if (expiry * 1000 < now) return 'expired';
    return this.#media.get(mid);
  }

  clear(): void {
    for (const id of [...this.#media.keys()]) void this.delete(id);
  }

  close(): void {
    this.#media.clear();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #sign(mid: string, ext: number): string {
    return createHmac('sha256', this.#secret).update(`${mid}:${ext}`).digest('base64url');
  }
}

/** Meta's media ids are 15 to 16 digit numbers. */
function newMediaId(): string {
  return `1${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e6)).padStart(6, '0')}`;
}
