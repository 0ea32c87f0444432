import { describe, expect, it } from 'vitest';
import { checkContentLength, checkUpload, MULTIPART_SLACK_BYTES, planFileLimit } from './upload-limits.ts';

const MB = 1024 * 1024;

describe('media upload limits (Meta per type)', () => {
  it('refuses a Content-Length no type could fit with 413, and lets the rest through', () => {
    expect(checkContentLength(100 * MB + MULTIPART_SLACK_BYTES + 1)?.status).toBe(413);
    expect(checkContentLength(100 * MB)).toBeUndefined();
    expect(checkContentLength(undefined)).toBeUndefined();
  });

  it('plans the file by its declared type: 400 unsupported, 413 when Content-Length exceeds the limit, else the limit', () => {
    expect(planFileLimit('image/gif', 10)).toMatchObject({ refuse: { status: 400, body: { error: { code: 100 } } } });
    expect(planFileLimit('image/jpeg', 6 * MB)).toMatchObject({ refuse: { status: 413, body: { error: { code: 100 } } } });
    expect(planFileLimit('image/jpeg', 5 * MB)).toEqual({ maxBytes: 5 * MB });
    expect(planFileLimit('application/pdf', undefined)).toEqual({ maxBytes: 100 * MB });
    expect(planFileLimit('image/webp', undefined)).toEqual({ maxBytes: 500 * 1024 });
    expect(planFileLimit('audio/ogg; codecs=opus', undefined)).toEqual({ maxBytes: 16 * MB });
    // No type yet (it follows the file): the largest limit until the end.
    expect(planFileLimit(undefined, 50 * MB)).toEqual({ maxBytes: 100 * MB });
  });

  it('checks the whole form: the type once known, the file against it; a missing type is for Meta to answer', () => {
    expect(checkUpload('video/mp4', 17 * MB)?.status).toBe(413);
    expect(checkUpload('video/mp4', 16 * MB)).toBeUndefined();
    expect(checkUpload('text/html', 1)?.status).toBe(400);
    expect(checkUpload(undefined, 200)).toBeUndefined();
  });
});
