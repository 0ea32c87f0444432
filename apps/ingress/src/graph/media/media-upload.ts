import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { Request } from 'express';
import busboy from 'busboy';
import type { GatewayError } from '@gw/contracts';
import { graphErrors } from '../graph-errors.ts';
import { UpstreamFailure, type GraphAnswer } from '../graph-upstream.ts';
import { mediaErrors } from './media-errors.ts';
import { MultipartWriter } from './multipart-writer.ts';
import { checkContentLength, checkUpload, planFileLimit } from './upload-limits.ts';

export type UploadOutcome =
  /** The gateway refused it (limits, not multipart); `reachedMeta`: an upstream request was opened and then aborted, never completed. */
  | { kind: 'refused'; error: GatewayError; reachedMeta: boolean }
  /** Meta's answer, to pass through. */
  | { kind: 'answered'; answer: GraphAnswer }
  /** Meta unreachable or too slow. */
  | { kind: 'failed'; error: GatewayError }
  /** The client went away mid-upload; the upstream request was aborted. */
  | { kind: 'aborted' };

/** Opens the upstream request with the given body (the stack's token and URL are the caller's); rejects with an UpstreamFailure. */
export type OpenUpstream = (contentType: string, body: Readable) => Promise<GraphAnswer>;

/** Resolves when the stream wants more, or is gone. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

function contentLengthOf(req: Request): number | undefined {
  const value = Number(req.get('content-length'));
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Streams a client's multipart upload to Meta without holding the file: fields are re-encoded as
 * read and the file's bytes flow through with backpressure. The upstream request opens only once
 * the file part starts and its limit is known; a file over its limit aborts it mid-stream, and the
 * closing boundary is written only after the whole form passed the checks, so Meta never receives a
 * complete upload the gateway refused. After a refusal the rest of the client's body is read and dropped.
 * `moved` is told the size of each piece of the file passed on.
 */
export function streamUpload(req: Request, openUpstream: OpenUpstream, moved: (bytes: number) => void): Promise<UploadOutcome> {
  const contentLength = contentLengthOf(req);
  const early = checkContentLength(contentLength);
  if (early) return Promise.resolve({ kind: 'refused', error: early, reachedMeta: false });
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 64 * 1024, parts: 32 } });
  } catch {
    return Promise.resolve({ kind: 'refused', error: mediaErrors.notMultipart(), reachedMeta: false });
  }

  return new Promise<UploadOutcome>((resolve) => {
    const form = new MultipartWriter();
    const before: Array<[string, string]> = [];
    const after: Array<[string, string]> = [];
    let settled = false;
    let body: PassThrough | undefined;
    let fileSeen = false;
    let fileDone: Promise<void> = Promise.resolve();
    let fileSize = 0;

    const settle = (outcome: UploadOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const refuse = (error: GatewayError) => {
      body?.destroy();
      settle({ kind: 'refused', error, reachedMeta: body !== undefined });
    };
    const open = (): PassThrough => {
      const stream = new PassThrough();
      body = stream;
      // Meta's answer (or its failure) settles the upload, even one that comes before the body is complete.
      openUpstream(form.contentType, stream).then(
        (answer) => settle({ kind: 'answered', answer }),
        (error: unknown) => settle({ kind: 'failed', error: error instanceof UpstreamFailure ? error.answer : graphErrors.unreachable('the media upload') }),
      );
      return stream;
    };
    const typeField = () => [...before, ...after].find(([name]) => name === 'type')?.[1];

    /**
     * The file's bytes to Meta as they arrive. 'data' events, not `for await`: an async iterator's
     * read() concatenates whatever is buffered into a new Buffer, a copy of every byte.
     */
    function pump(file: Readable, maxBytes: number, upstream: PassThrough, label: string): Promise<void> {
      return new Promise((resolvePump, rejectPump) => {
        file.on('data', (chunk: Buffer) => {
          // After a refusal or an early answer the rest is read (busboy stalls on an unread file) and dropped.
          if (settled) return;
          fileSize += chunk.length;
          moved(chunk.length);
          if (fileSize > maxBytes) return refuse(mediaErrors.fileTooLarge(label, maxBytes));
          if (!upstream.write(chunk)) {
            file.pause();
            void drained(upstream).then(() => file.resume());
          }
        });
        file.once('end', () => resolvePump());
        file.once('error', rejectPump);
      });
    }

    parser.on('field', (name, value) => {
      (fileSeen ? after : before).push([name, value]);
    });
    parser.on('file', (name, file, info) => {
      if (name !== 'file' || fileSeen || settled) return void file.resume();
      fileSeen = true;
      const declared = typeField();
      const plan = planFileLimit(declared, contentLength);
      if ('refuse' in plan) {
        file.resume();
        return refuse(plan.refuse);
      }
      const upstream = open();
      upstream.write(Buffer.concat([...before.map(([n, v]) => form.field(n, v)), form.fileHeader(name, info.filename, info.mimeType)]));
      fileDone = pump(file, plan.maxBytes, upstream, declared ?? 'any type').catch(() => {
        // The file stream broke: the client went away mid-file.
        upstream.destroy();
        settle({ kind: 'aborted' });
      });
    });
    parser.on('close', () => {
      void fileDone.then(() => {
        if (settled) return;
        const refusal = checkUpload(typeField(), fileSeen ? fileSize : undefined);
        if (refusal) return refuse(refusal);
        // No file at all: Meta gets the fields and answers what is missing.
        const upstream = body ?? open();
        const parts = fileSeen ? [form.fileEnd(), ...after.map(([n, v]) => form.field(n, v))] : before.map(([n, v]) => form.field(n, v));
        upstream.end(Buffer.concat([...parts, form.end()]));
      });
    });
    parser.on('error', () => {
      body?.destroy();
      settle(req.complete ? { kind: 'refused', error: mediaErrors.notMultipart(), reachedMeta: body !== undefined } : { kind: 'aborted' });
    });
    req.on('close', () => {
      if (req.complete) return;
      body?.destroy();
      settle({ kind: 'aborted' });
    });
    req.pipe(parser);
  });
}
