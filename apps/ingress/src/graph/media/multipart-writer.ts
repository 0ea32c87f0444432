import { randomBytes } from 'node:crypto';

/** Quotes a form name or file name for a Content-Disposition header: no quote or line break can end it early. */
function quoted(value: string): string {
  return `"${value.replace(/["\r\n]/g, (c) => encodeURIComponent(c))}"`;
}

/**
 * The upload re-encoded for Meta part by part (its fields as read, the file's bytes streamed between
 * its header and its end), so nothing but the gateway's own framing is ever held in memory.
 */
export class MultipartWriter {
  readonly boundary = `----gw-media-${randomBytes(12).toString('hex')}`;

  get contentType(): string {
    return `multipart/form-data; boundary=${this.boundary}`;
  }

  field(name: string, value: string): Buffer {
    return Buffer.from(`--${this.boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`);
  }

  fileHeader(name: string, fileName: string | undefined, mimeType: string): Buffer {
    const file = fileName ? `; filename=${quoted(fileName)}` : '; filename="file"';
    return Buffer.from(`--${this.boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}${file}\r\nContent-Type: ${mimeType.replace(/[\r\n]/g, '')}\r\n\r\n`);
  }

  /** Ends the file part. */
  fileEnd(): Buffer {
    return Buffer.from('\r\n');
  }

  end(): Buffer {
    return Buffer.from(`--${this.boundary}--\r\n`);
  }
}
