import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, lazyChild } from './index.ts';

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

describe('lazyChild', () => {
  it("logs with the bindings, redacted as a child's, once anything is logged through it", () => {
    const { lines, destination } = capture();
    const log = lazyChild(createLogger({ name: 't', level: 'info', destination }), { jobId: 'j1', stackId: 's1', token: 'EAAG-secret' });
    log.debug('below the level');
    expect(lines).toEqual([]);
    log.warn({ err: 'x' }, 'it went wrong');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ jobId: 'j1', stackId: 's1', token: '[redacted]', err: 'x', msg: 'it went wrong', level: 40 });
    expect(log.isLevelEnabled('debug')).toBe(false);
  });
});
