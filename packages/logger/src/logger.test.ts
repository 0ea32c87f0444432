import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './index.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('redacts tokens, keys, secrets and recipient numbers', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 't', destination });
    log.info(
      {
        stack: { accessToken: 'EAAG-secret', apiKey: 'key-123', webhookSecret: 'whsec' },
        payload: { to: '+15551234567' },
        req: { headers: { authorization: 'Bearer key-123' } },
      },
      'hello',
    );
    const line = lines.join('');
    for (const secret of ['EAAG-secret', 'key-123', 'whsec', '+15551234567']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[redacted]');
  });
});
